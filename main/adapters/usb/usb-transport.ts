/**
 * The thin USB transfer interface the bootloader drivers (DFU, fastboot) talk through: control
 * transfers with their setup fields, bulk transfers, interface claim and alternate setting, close.
 * One implementation opens a real device through the `usb` package (node-usb-transport.ts, the only
 * code touching `usb`); the device models in test/support implement the same interface and enforce
 * the specifications, since these machines have no USB bus.
 */

/** The setup packet of a control transfer (bmRequestType split as WebUSB does). */
export interface UsbSetup {
  readonly requestType: 'standard' | 'class' | 'vendor';
  readonly recipient: 'device' | 'interface' | 'endpoint' | 'other';
  readonly request: number;
  readonly value: number;
  readonly index: number;
}

/** Why a transfer failed. */
export type UsbTransferFailure = 'stall' | 'timeout' | 'disconnected' | 'io';

/** A failed transfer. A stall is the device refusing a request (a DFU device does this for a request wrong in its state). */
export class UsbTransferError extends Error {
  readonly failure: UsbTransferFailure;

  constructor(failure: UsbTransferFailure, message: string) {
    super(message);
    this.name = 'UsbTransferError';
    this.failure = failure;
  }
}

/** What the bus says about a device before it is opened. */
export interface UsbDeviceFacts {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber: string | null;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
}

/** An opened USB device. Every method throws UsbTransferError on failure. */
export interface UsbTransport {
  readonly facts: UsbDeviceFacts;
  controlTransferIn(setup: UsbSetup, length: number, timeoutMs?: number): Promise<Uint8Array>;
  controlTransferOut(setup: UsbSetup, data?: Uint8Array, timeoutMs?: number): Promise<number>;
  /** Bulk IN from endpoint number `endpoint` (1–15). */
  bulkIn(endpoint: number, length: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Bulk OUT to endpoint number `endpoint` (1–15). */
  bulkOut(endpoint: number, data: Uint8Array, timeoutMs?: number): Promise<number>;
  claimInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  /** The active configuration descriptor with everything that follows it (interfaces, class descriptors, endpoints). */
  configurationDescriptor(): Promise<Uint8Array>;
  /** A string descriptor in US English, '' when the device has none at that index. */
  stringDescriptor(index: number): Promise<string>;
  /** USB port reset (what dfu-util does to leave dfuMANIFEST-WAIT-RESET). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the device with these ids (and serial when given); null when none is attached. */
export type UsbOpener = (query: {
  readonly vendorId: number;
  readonly productId: number;
  readonly serial: string | null;
}) => Promise<UsbTransport | null>;

/** GET_DESCRIPTOR setup for a descriptor type and index. */
export function getDescriptorSetup(type: number, index: number, languageId = 0): UsbSetup {
  return {
    requestType: 'standard',
    recipient: 'device',
    request: 6,
    value: (type << 8) | index,
    index: languageId,
  };
}

/** Bulk endpoints of the interface a protocol uses. */
export interface BulkEndpoints {
  readonly interfaceNumber: number;
  readonly inEndpoint: number;
  readonly outEndpoint: number;
}

/**
 * Finds the first interface with class/subclass/protocol in a configuration descriptor and its bulk
 * IN and OUT endpoint numbers (fastboot: class 0xFF, subclass 0x42, protocol 0x03).
 */
export function findBulkInterface(
  config: Uint8Array,
  wanted: { readonly interfaceClass: number; readonly subclass: number; readonly protocol: number },
): BulkEndpoints | null {
  let offset = 0;
  let current: { interfaceNumber: number; inEndpoint: number | null; outEndpoint: number | null } | null =
    null;
  while (offset + 2 <= config.length) {
    const length = config[offset]!;
    const type = config[offset + 1]!;
    if (length < 2 || offset + length > config.length) break;
    if (type === 0x04 && length >= 9) {
      if (current?.inEndpoint != null && current.outEndpoint != null) break;
      const d = config.subarray(offset, offset + length);
      current =
        d[5] === wanted.interfaceClass && d[6] === wanted.subclass && d[7] === wanted.protocol
          ? { interfaceNumber: d[2]!, inEndpoint: null, outEndpoint: null }
          : null;
    } else if (type === 0x05 && length >= 7 && current) {
      const address = config[offset + 2]!;
      const attributes = config[offset + 3]!;
      if ((attributes & 0x03) === 0x02) {
        if (address & 0x80) current.inEndpoint ??= address & 0x0f;
        else current.outEndpoint ??= address & 0x0f;
      }
    }
    offset += length;
  }
  return current?.inEndpoint != null && current.outEndpoint != null
    ? {
        interfaceNumber: current.interfaceNumber,
        inEndpoint: current.inEndpoint,
        outEndpoint: current.outEndpoint,
      }
    : null;
}
