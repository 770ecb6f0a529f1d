/**
 * USB attach/detach as device candidates, through the `usb` package (node-usb 3, WebUSB API:
 * `connect`/`disconnect` events carrying a USBDevice with vendorId, productId, serialNumber,
 * productName, manufacturerName). Reports `found` with usb://VVVV:PPPP[/SERIAL] (hex ids) and `lost`
 * on detach. The table of known devices (resources/usb-devices.json) names the bootloader and its
 * protocol: a known DFU or fastboot device is reported as usb://VVVV:PPPP[/SERIAL]?protocol=dfu|fastboot
 * (the address the USB connector flashes through), and details carry `name`, `protocol` and
 * `advice` (Jetson recovery mode: use NVIDIA's flash tools). The host is injectable for tests (and
 * for the fake bus of fake-usb-bus.ts); the default loads `usb` (a native module) on first use and
 * answers nothing where the machine has no USB bus.
 */
import { existsSync } from 'node:fs';
import { knownUsbDevices } from '../../../core/usb/usb-device-table';
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

/** The address of a device: with ?protocol= when the table knows how to flash it. */
export function usbDeviceUri(device: UsbDeviceInfo): string {
  const protocol = knownUsbDevices().lookup(device.vendorId, device.productId)?.protocol;
  return protocol ? `${usbUri(device)}?protocol=${protocol}` : usbUri(device);
}

function toFound(device: UsbDeviceInfo): Extract<DiscoveryEvent, { type: 'found' }> {
  const details: Record<string, string> = {
    vendorId: hex4(device.vendorId),
    productId: hex4(device.productId),
  };
  if (device.serialNumber) details['serialNumber'] = device.serialNumber;
  if (device.manufacturerName) details['manufacturer'] = device.manufacturerName;
  if (device.productName) details['product'] = device.productName;
  const known = knownUsbDevices().lookup(device.vendorId, device.productId);
  if (known) {
    details['name'] = known.name;
    if (known.protocol) details['protocol'] = known.protocol;
    if (known.advice) details['advice'] = known.advice;
  }
  const name = [device.manufacturerName, device.productName].filter(Boolean).join(' ') || (known?.name ?? '');
  return {
    type: 'found',
    uri: usbDeviceUri(device),
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
        onEvent({ type: 'lost', uri: usbDeviceUri(device) });
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
