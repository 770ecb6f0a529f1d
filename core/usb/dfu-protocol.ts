/**
 * USB DFU 1.1 (USB Device Class Specification for Device Firmware Upgrade, version 1.1) and the
 * parts of ST's DfuSe extension (UM0391, AN3156) that are plain data: request numbers, states,
 * status codes, the GETSTATUS reply, the DFU functional descriptor and the walk over a configuration
 * descriptor that finds DFU interfaces. The driver that sends these is main/adapters/usb/dfu-driver.ts.
 */

/** Class requests (DFU 1.1 § 3, table 3.2). */
export const DFU_REQUEST = {
  DETACH: 0,
  DNLOAD: 1,
  UPLOAD: 2,
  GETSTATUS: 3,
  CLRSTATUS: 4,
  GETSTATE: 5,
  ABORT: 6,
} as const;

/** Device states (DFU 1.1 § 6.1.2, bState). */
export const DFU_STATE = {
  appIDLE: 0,
  appDETACH: 1,
  dfuIDLE: 2,
  dfuDNLOAD_SYNC: 3,
  dfuDNBUSY: 4,
  dfuDNLOAD_IDLE: 5,
  dfuMANIFEST_SYNC: 6,
  dfuMANIFEST: 7,
  dfuMANIFEST_WAIT_RESET: 8,
  dfuUPLOAD_IDLE: 9,
  dfuERROR: 10,
} as const;
export type DfuState = (typeof DFU_STATE)[keyof typeof DFU_STATE];

/** Status codes (DFU 1.1 § 6.1.2, bStatus), with what each means for a technician. */
export const DFU_STATUS = {
  OK: 0x00,
  errTARGET: 0x01,
  errFILE: 0x02,
  errWRITE: 0x03,
  errERASE: 0x04,
  errCHECK_ERASED: 0x05,
  errPROG: 0x06,
  errVERIFY: 0x07,
  errADDRESS: 0x08,
  errNOTDONE: 0x09,
  errFIRMWARE: 0x0a,
  errVENDOR: 0x0b,
  errUSBR: 0x0c,
  errPOR: 0x0d,
  errUNKNOWN: 0x0e,
  errSTALLEDPKT: 0x0f,
} as const;
export type DfuStatusCode = (typeof DFU_STATUS)[keyof typeof DFU_STATUS];

const STATE_NAMES: Readonly<Record<number, string>> = {
  0: 'appIDLE',
  1: 'appDETACH',
  2: 'dfuIDLE',
  3: 'dfuDNLOAD-SYNC',
  4: 'dfuDNBUSY',
  5: 'dfuDNLOAD-IDLE',
  6: 'dfuMANIFEST-SYNC',
  7: 'dfuMANIFEST',
  8: 'dfuMANIFEST-WAIT-RESET',
  9: 'dfuUPLOAD-IDLE',
  10: 'dfuERROR',
};

const STATUS_TEXT: Readonly<Record<number, string>> = {
  0x00: 'no error',
  0x01: 'the file is not for this device (errTARGET)',
  0x02: 'the device rejected the file (errFILE)',
  0x03: 'the device could not write its memory (errWRITE)',
  0x04: 'the memory erase failed (errERASE)',
  0x05: 'the memory was not erased before writing (errCHECK_ERASED)',
  0x06: 'the program memory function failed (errPROG)',
  0x07: 'the written memory did not verify (errVERIFY)',
  0x08: 'the address is outside the device memory (errADDRESS)',
  0x09: 'the device got the end of the download too early (errNOTDONE)',
  0x0a: 'the firmware is corrupt; the device stays in DFU mode (errFIRMWARE)',
  0x0b: 'a vendor-specific error (errVENDOR)',
  0x0c: 'an unexpected USB reset (errUSBR)',
  0x0d: 'an unexpected power-on reset (errPOR)',
  0x0e: 'an unknown error (errUNKNOWN)',
  0x0f: 'the device refused a request it did not expect (errSTALLEDPKT)',
};

/** The DFU state's name as the specification writes it. */
export function dfuStateName(state: number): string {
  return STATE_NAMES[state] ?? `state ${state}`;
}

/** What a bStatus means, for a message. */
export function dfuStatusText(status: number): string {
  return STATUS_TEXT[status] ?? `status 0x${status.toString(16)}`;
}

/** The 6-byte DFU_GETSTATUS reply. */
export interface DfuStatusReply {
  readonly status: number;
  /** Milliseconds the host must wait before the next GETSTATUS (24-bit). */
  readonly pollTimeoutMs: number;
  readonly state: number;
  readonly stringIndex: number;
}

/** Decodes a GETSTATUS reply; null when it is not 6 bytes. */
export function parseDfuStatus(bytes: Uint8Array): DfuStatusReply | null {
  if (bytes.length !== 6) return null;
  return {
    status: bytes[0]!,
    pollTimeoutMs: bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16),
    state: bytes[4]!,
    stringIndex: bytes[5]!,
  };
}

/** Encodes a GETSTATUS reply (device models). */
export function encodeDfuStatus(reply: DfuStatusReply): Uint8Array {
  const t = reply.pollTimeoutMs;
  return Uint8Array.of(
    reply.status,
    t & 0xff,
    (t >> 8) & 0xff,
    (t >> 16) & 0xff,
    reply.state,
    reply.stringIndex,
  );
}

/** DFU functional descriptor type (DFU 1.1 § 4.1.3). */
export const DFU_FUNCTIONAL_DESCRIPTOR_TYPE = 0x21;

/** The DFU functional descriptor. */
export interface DfuFunctionalDescriptor {
  readonly canDownload: boolean;
  readonly canUpload: boolean;
  /** The device answers after manifestation (back to dfuIDLE) instead of waiting for a reset. */
  readonly manifestationTolerant: boolean;
  /** The device detaches itself after DFU_DETACH (no USB reset needed). */
  readonly willDetach: boolean;
  readonly detachTimeoutMs: number;
  /** Largest block the device accepts per DNLOAD/UPLOAD. */
  readonly transferSize: number;
  /** 0x0110 for DFU 1.1, 0x011a for ST's DfuSe. */
  readonly dfuVersion: number;
}

/** Decodes a functional descriptor; null when the bytes are not one. */
export function parseDfuFunctionalDescriptor(bytes: Uint8Array): DfuFunctionalDescriptor | null {
  // Some DFU 1.0 devices send 7 bytes (no bcdDFUVersion).
  if (bytes.length < 7 || bytes[1] !== DFU_FUNCTIONAL_DESCRIPTOR_TYPE) return null;
  const attributes = bytes[2]!;
  return {
    canDownload: (attributes & 0x01) !== 0,
    canUpload: (attributes & 0x02) !== 0,
    manifestationTolerant: (attributes & 0x04) !== 0,
    willDetach: (attributes & 0x08) !== 0,
    detachTimeoutMs: bytes[3]! | (bytes[4]! << 8),
    transferSize: bytes[5]! | (bytes[6]! << 8),
    dfuVersion: bytes.length >= 9 ? bytes[7]! | (bytes[8]! << 8) : 0x0100,
  };
}

/** Encodes a functional descriptor (device models). */
export function encodeDfuFunctionalDescriptor(d: DfuFunctionalDescriptor): Uint8Array {
  const attributes =
    (d.canDownload ? 1 : 0) |
    (d.canUpload ? 2 : 0) |
    (d.manifestationTolerant ? 4 : 0) |
    (d.willDetach ? 8 : 0);
  return Uint8Array.of(
    9,
    DFU_FUNCTIONAL_DESCRIPTOR_TYPE,
    attributes,
    d.detachTimeoutMs & 0xff,
    d.detachTimeoutMs >> 8,
    d.transferSize & 0xff,
    d.transferSize >> 8,
    d.dfuVersion & 0xff,
    d.dfuVersion >> 8,
  );
}

/** One DFU interface alternate setting found in a configuration descriptor. */
export interface DfuInterface {
  readonly interfaceNumber: number;
  readonly alternateSetting: number;
  /** bInterfaceProtocol: 1 run-time (the application), 2 DFU mode. */
  readonly protocol: number;
  /** iInterface string index (DfuSe puts the memory layout there), 0 when none. */
  readonly nameIndex: number;
  readonly functional: DfuFunctionalDescriptor | null;
}

/**
 * Walks a configuration descriptor (as GET_DESCRIPTOR(CONFIGURATION) returns it) and lists the DFU
 * interfaces (class 0xFE, subclass 1) with the functional descriptor that follows them. A device may
 * put the functional descriptor after the last alternate setting only, so the last one seen applies
 * to every alternate setting of that interface (dfu-util does the same).
 */
export function findDfuInterfaces(config: Uint8Array): DfuInterface[] {
  const found: { iface: Omit<DfuInterface, 'functional'>; functional: DfuFunctionalDescriptor | null }[] = [];
  let current: (typeof found)[number] | null = null;
  let offset = 0;
  while (offset + 2 <= config.length) {
    const length = config[offset]!;
    const type = config[offset + 1]!;
    if (length < 2 || offset + length > config.length) break; // truncated or corrupt: stop here
    const d = config.subarray(offset, offset + length);
    if (type === 0x04 && length >= 9) {
      current = null;
      if (d[5] === 0xfe && d[6] === 0x01) {
        current = {
          iface: { interfaceNumber: d[2]!, alternateSetting: d[3]!, protocol: d[7]!, nameIndex: d[8]! },
          functional: null,
        };
        found.push(current);
      }
    } else if (type === DFU_FUNCTIONAL_DESCRIPTOR_TYPE && current) {
      current.functional = parseDfuFunctionalDescriptor(d);
    }
    offset += length;
  }
  const byInterface = new Map<number, DfuFunctionalDescriptor>();
  for (const entry of found)
    if (entry.functional) byInterface.set(entry.iface.interfaceNumber, entry.functional);
  return found.map((entry) => ({
    ...entry.iface,
    functional: entry.functional ?? byInterface.get(entry.iface.interfaceNumber) ?? null,
  }));
}

/** Decodes a USB string descriptor (UTF-16LE after the 2-byte header). */
export function decodeStringDescriptor(bytes: Uint8Array): string {
  if (bytes.length < 2 || bytes[1] !== 0x03) return '';
  const end = Math.min(bytes[0]!, bytes.length) & ~1;
  let text = '';
  for (let i = 2; i + 1 < end; i += 2) text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return text;
}

/** Encodes a USB string descriptor (device models). */
export function encodeStringDescriptor(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = out.length;
  out[1] = 0x03;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    out[2 + i * 2] = code & 0xff;
    out[3 + i * 2] = code >> 8;
  }
  return out;
}
