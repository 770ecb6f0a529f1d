/**
 * The table of known USB devices (resources/usb-devices.json): which VID:PID pairs Deckhand reaches
 * over which bootloader protocol, and advice for the ones it cannot flash itself (Jetson recovery
 * mode, the Raspberry Pi boot ROM). Discovery uses it to label what was plugged in and to give the
 * device a usb://…?protocol= address.
 */
import { z } from 'zod';
import { USB_PROTOCOLS, type UsbProtocol } from '../device-uri/device-uri';
import tableJson from '../../resources/usb-devices.json' with { type: 'json' };

const hexId = z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits');

const entrySchema = z
  .object({
    vendorId: hexId,
    productId: hexId,
    name: z.string().min(1),
    protocol: z.enum(USB_PROTOCOLS).nullable(),
    advice: z.string().min(1).nullable(),
  })
  .strict();

/** The table file's shape. */
export const usbDeviceTableSchema = z
  .object({ $comment: z.string().optional(), devices: z.array(entrySchema) })
  .strict();

/** One known device. */
export interface UsbDeviceEntry {
  readonly vendorId: string;
  readonly productId: string;
  readonly name: string;
  /** How Deckhand flashes it, or null when another tool must (see advice). */
  readonly protocol: UsbProtocol | null;
  readonly advice: string | null;
}

/** A lookup over a table. */
export interface UsbDeviceTable {
  lookup(vendorId: number, productId: number): UsbDeviceEntry | null;
  readonly entries: readonly UsbDeviceEntry[];
}

/** Builds a lookup from table data; throws when the data does not match the schema or repeats a pair. */
export function createUsbDeviceTable(data: unknown): UsbDeviceTable {
  const parsed = usbDeviceTableSchema.parse(data);
  const byId = new Map<string, UsbDeviceEntry>();
  for (const entry of parsed.devices) {
    const key = `${entry.vendorId}:${entry.productId}`;
    if (byId.has(key)) throw new Error(`The USB device table lists ${key} twice.`);
    byId.set(key, entry);
  }
  const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
  return {
    entries: [...byId.values()],
    lookup: (vendorId, productId) => byId.get(`${hex4(vendorId)}:${hex4(productId)}`) ?? null,
  };
}

let shipped: UsbDeviceTable | null = null;

/** The table shipped in resources/usb-devices.json. */
export function knownUsbDevices(): UsbDeviceTable {
  shipped ??= createUsbDeviceTable(tableJson);
  return shipped;
}
