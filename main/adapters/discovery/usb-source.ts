/**
 * USB attach/detach as device candidates, through the `usb` package (node-usb 3, WebUSB API:
 * `connect`/`disconnect` events carrying a USBDevice with vendorId, productId, serialNumber,
 * productName, manufacturerName). Reports `found` with usb://VVVV:PPPP[/SERIAL] (hex ids) and `lost`
 * on detach. Which protocol a VID:PID speaks (dfu, fastboot) comes later with a protocol table; here
 * the candidate only says it is there. The host is injectable for tests; the default loads `usb` (a
 * native module) on first use and answers nothing where the machine has no USB bus.
 */
import { existsSync } from 'node:fs';
import type { DiscoveryEvent, DiscoverySource } from '../../services/devices/discovery-source';

/** The device facts the source reads (a subset of WebUSB's USBDevice). */
export interface UsbDeviceInfo {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | undefined;
  readonly productName?: string | undefined;
  readonly manufacturerName?: string | undefined;
}

/** What the source needs from a WebUSB host (node-usb's WebUSB class has this shape). */
export interface UsbHost {
  addEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: { device: UsbDeviceInfo }) => void,
  ): void;
  removeEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: { device: UsbDeviceInfo }) => void,
  ): void;
  getDevices(): Promise<readonly UsbDeviceInfo[]>;
}

/** node-usb's host, allowed to see every device (the laptop's own bus). */
export async function openUsbHost(): Promise<UsbHost> {
  // Without a USB bus (a container, some VMs) node-usb's hotplug polling rejects a promise nobody can
  // catch and the process dies; so do not start it at all when Linux shows no bus.
  if (process.platform === 'linux' && !existsSync('/sys/bus/usb/devices')) {
    throw new Error('This machine has no USB bus.');
  }
  const { WebUSB } = await import('usb');
  return new WebUSB({ allowAllDevices: true }) as unknown as UsbHost;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** usb://VVVV:PPPP[/SERIAL]. */
export function usbUri(device: UsbDeviceInfo): string {
  const serial = device.serialNumber ? `/${encodeURIComponent(device.serialNumber)}` : '';
  return `usb://${hex4(device.vendorId)}:${hex4(device.productId)}${serial}`;
}

function toFound(device: UsbDeviceInfo): Extract<DiscoveryEvent, { type: 'found' }> {
  const details: Record<string, string> = {
    vendorId: hex4(device.vendorId),
    productId: hex4(device.productId),
  };
  if (device.serialNumber) details['serialNumber'] = device.serialNumber;
  if (device.manufacturerName) details['manufacturer'] = device.manufacturerName;
  if (device.productName) details['product'] = device.productName;
  const name = [device.manufacturerName, device.productName].filter(Boolean).join(' ');
  return {
    type: 'found',
    uri: usbUri(device),
    transport: 'usb',
    label: name ? `${name} (${details['vendorId']}:${details['productId']})` : usbUri(device),
    details,
  };
}

/** Options of the source. */
export interface UsbSourceOptions {
  readonly host?: () => Promise<UsbHost>;
}

/** The USB hotplug discovery source. */
export function createUsbSource(options: UsbSourceOptions = {}): DiscoverySource {
  const getHost = options.host ?? openUsbHost;
  const listDevices = async (): Promise<readonly UsbDeviceInfo[]> => {
    try {
      return await (await getHost()).getDevices();
    } catch {
      return []; // No USB bus (a container, a VM), or no permission to read it.
    }
  };
  return {
    name: 'USB',
    start: (onEvent) => {
      let stopped = false;
      let host: UsbHost | null = null;
      const onConnect = ({ device }: { device: UsbDeviceInfo }): void => onEvent(toFound(device));
      const onDisconnect = ({ device }: { device: UsbDeviceInfo }): void =>
        onEvent({ type: 'lost', uri: usbUri(device) });
      void (async () => {
        try {
          const opened = await getHost();
          if (stopped) return;
          host = opened;
          opened.addEventListener('connect', onConnect);
          opened.addEventListener('disconnect', onDisconnect);
          for (const device of await opened.getDevices()) if (!stopped) onEvent(toFound(device));
        } catch {
          // No USB bus: nothing to report.
        }
      })();
      return () => {
        stopped = true;
        host?.removeEventListener('connect', onConnect);
        host?.removeEventListener('disconnect', onDisconnect);
      };
    },
    scan: async () => (await listDevices()).map(toFound),
  };
}
