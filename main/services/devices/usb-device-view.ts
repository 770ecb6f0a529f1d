/**
 * The Devices row of a USB device found on the bus. Only devices the table of known devices
 * (resources/usb-devices.json) names become rows: a bootloader Deckhand flashes (DFU, fastboot), or
 * one it recognises and advises on (Jetson recovery mode, the Raspberry Pi boot ROM); a keyboard or a
 * USB stick does not. A USB row is "online" while it is attached; no agent is contacted.
 */
import type { DeviceView } from '../../ipc/device-types';
import type { DiscoveryEvent } from './discovery-source';

/** The row for a USB `found` event, or null when the table does not know the device. */
export function usbDeviceView(
  event: Extract<DiscoveryEvent, { type: 'found' }>,
  now: string,
): DeviceView | null {
  const d = event.details ?? {};
  const name = d['name'];
  const vendorId = d['vendorId'];
  const productId = d['productId'];
  if (name === undefined || vendorId === undefined || productId === undefined) return null;
  const protocol = d['protocol'] === 'dfu' || d['protocol'] === 'fastboot' ? d['protocol'] : null;
  return {
    uri: event.uri,
    link: 'usb',
    source: 'usb',
    manual: false,
    label: event.label || name,
    state: 'online',
    seenFingerprint: null,
    pinnedFingerprint: null,
    identity: null,
    status: null,
    usb: {
      vendorId,
      productId,
      manufacturer: d['manufacturer'] ?? null,
      product: d['product'] ?? null,
      serialNumber: d['serialNumber'] ?? null,
      name,
      protocol,
      advice: d['advice'] ?? null,
    },
    lastSeen: now,
    error: null,
  };
}
