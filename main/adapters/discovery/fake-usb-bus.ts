/**
 * A USB bus read from a JSON file, for end-to-end tests and demos on machines without USB (set
 * DECKHAND_FAKE_USB_BUS=FILE for `deckhand host`). The file is
 *   { "devices": [ { "vendorId": "0483", "productId": "df11", "serialNumber": "…",
 *                    "manufacturerName": "…", "productName": "…" } ] }
 * and is watched: a device added to the file is an attach event, one removed a detach event. It
 * stands in for node-usb's WebUSB host behind the USB discovery source, so everything above the
 * host (the device table, the Devices service and screen) runs as with real hardware. Never used
 * unless the variable is set.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { z } from 'zod';
import type { UsbDeviceInfo, UsbHost } from './usb-source';

const hexId = z.string().regex(/^[0-9a-fA-F]{4}$/);
const busSchema = z.object({
  devices: z.array(
    z.object({
      vendorId: hexId,
      productId: hexId,
      serialNumber: z.string().optional(),
      manufacturerName: z.string().optional(),
      productName: z.string().optional(),
    }),
  ),
});

function readBus(file: string): UsbDeviceInfo[] {
  try {
    const parsed = busSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.devices.map((d) => ({
      ...d,
      vendorId: parseInt(d.vendorId, 16),
      productId: parseInt(d.productId, 16),
    }));
  } catch {
    return []; // missing or half-written file: an empty bus until it is whole
  }
}

const key = (d: UsbDeviceInfo): string => `${d.vendorId}:${d.productId}:${d.serialNumber ?? ''}`;

/** A UsbHost whose devices are the entries of `file`, polled every `intervalMs`. */
export function createFakeUsbHost(file: string, intervalMs = 200): UsbHost {
  type Listener = (event: { device: UsbDeviceInfo }) => void;
  const listeners = { connect: new Set<Listener>(), disconnect: new Set<Listener>() };
  let devices = readBus(file);
  const onChange = (): void => {
    const next = readBus(file);
    const before = new Map(devices.map((d) => [key(d), d]));
    const after = new Map(next.map((d) => [key(d), d]));
    devices = next;
    for (const [k, d] of before) if (!after.has(k)) for (const l of listeners.disconnect) l({ device: d });
    for (const [k, d] of after) if (!before.has(k)) for (const l of listeners.connect) l({ device: d });
  };
  const sync = (): void => {
    const watching = listeners.connect.size + listeners.disconnect.size > 0;
    if (watching) watchFile(file, { interval: intervalMs, persistent: false }, onChange);
    else unwatchFile(file, onChange);
  };
  return {
    addEventListener: (type, listener) => {
      listeners[type].add(listener);
      sync();
    },
    removeEventListener: (type, listener) => {
      listeners[type].delete(listener);
      sync();
    },
    getDevices: async () => {
      devices = readBus(file);
      return devices;
    },
  };
}
