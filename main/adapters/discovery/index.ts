/** The discovery sources the CLI and the app use: mDNS on the LAN, serial ports, USB hotplug. */
import type { DiscoverySource } from '../../services/devices/discovery-source';
import { createMdnsSource } from './mdns-source';
import { createSerialPortsSource } from './serial-ports-source';
import { createFakeUsbHost } from './fake-usb-bus';
import { createUsbSource } from './usb-source';

/**
 * The sources, with mDNS bound to `interfaceAddress` when given. mDNS sends multicast on the LAN, so
 * it is left out when `mdns` is false (the browser host's default: it also runs in tests and demos,
 * which must not send traffic on a real interface); serial ports and USB only read the local machine.
 */
export function createDiscoverySources(
  options: { interfaceAddress?: string; mdns?: boolean; fakeUsbBus?: string } = {},
): DiscoverySource[] {
  const fakeUsbBus = options.fakeUsbBus;
  return [
    ...(options.mdns === false
      ? []
      : [createMdnsSource(options.interfaceAddress ? { interfaceAddress: options.interfaceAddress } : {})]),
    createSerialPortsSource(),
    // Tests and demos without USB hardware: a JSON file stands in for the bus (fake-usb-bus.ts).
    fakeUsbBus ? createUsbSource({ host: async () => createFakeUsbHost(fakeUsbBus) }) : createUsbSource(),
  ];
}
