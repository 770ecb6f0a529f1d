/**
 * DFU files: the 16-byte DFU suffix (DFU 1.1 appendix B: bcdDevice, idProduct, idVendor, bcdDFU,
 * "UFD", bLength, dwCRC) and ST's DfuSe container (UM0391 § 2: "DfuSe" prefix, targets, elements
 * with load addresses). The suffix is checked before anything is sent: a file for another device or
 * a damaged file never reaches the bootloader.
 */

let crcTable: Uint32Array | null = null;

/**
 * The DFU suffix CRC: CRC-32 (reflected polynomial 0xEDB88320) from 0xFFFFFFFF without the final
 * inversion, over every byte of the file except dwCRC itself (DFU 1.1 appendix B.1; dfu-util's
 * dfu_file.c does the same).
 */
export function dfuCrc32(bytes: Uint8Array, crc = 0xffffffff): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n += 1) {
      let c = n;
      for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = crc >>> 0;
  for (let i = 0; i < bytes.length; i += 1) c = (crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return c >>> 0;
}

/** The DFU suffix length. */
export const DFU_SUFFIX_LENGTH = 16;

/** The facts a DFU suffix carries. 0xFFFF in an id means "any". */
export interface DfuSuffix {
  readonly bcdDevice: number;
  readonly productId: number;
  readonly vendorId: number;
  /** 0x0100 for DFU 1.0/1.1 files, 0x011a for DfuSe files. */
  readonly dfuVersion: number;
  readonly crc: number;
}

/** Why a file's suffix is refused. */
export type DfuSuffixProblem = 'missing' | 'bad_crc' | 'wrong_device';

/** The outcome of reading a DFU file's suffix. */
export type DfuSuffixCheck =
  | { readonly ok: true; readonly suffix: DfuSuffix; readonly payload: Uint8Array }
  | { readonly ok: false; readonly problem: DfuSuffixProblem; readonly message: string };

/** Reads the suffix when one is there (signature "UFD"); null otherwise. */
export function readDfuSuffix(file: Uint8Array): DfuSuffix | null {
  if (file.length < DFU_SUFFIX_LENGTH) return null;
  const s = file.subarray(file.length - DFU_SUFFIX_LENGTH);
  // ucDfuSignature is "DFU" stored backwards: 'U' 'F' 'D'.
  if (s[8] !== 0x55 || s[9] !== 0x46 || s[10] !== 0x44) return null;
  if (s[11]! < DFU_SUFFIX_LENGTH) return null;
  const u16 = (i: number): number => s[i]! | (s[i + 1]! << 8);
  return {
    bcdDevice: u16(0),
    productId: u16(2),
    vendorId: u16(4),
    dfuVersion: u16(6),
    crc: (s[12]! | (s[13]! << 8) | (s[14]! << 16) | (s[15]! << 24)) >>> 0,
  };
}

/**
 * Checks a DFU file's suffix against the device it is for: the CRC, then VID and PID (0xFFFF
 * matches any). Returns the payload (the file without its suffix) to download.
 */
export function checkDfuSuffix(
  file: Uint8Array,
  device: { readonly vendorId: number; readonly productId: number },
): DfuSuffixCheck {
  const suffix = readDfuSuffix(file);
  if (suffix === null)
    return {
      ok: false,
      problem: 'missing',
      message: 'The firmware file has no DFU suffix, so Deckhand cannot tell which device it is for.',
    };
  const computed = dfuCrc32(file.subarray(0, file.length - 4));
  if (computed !== suffix.crc)
    return {
      ok: false,
      problem: 'bad_crc',
      message: `The firmware file is damaged: its DFU checksum is 0x${hex8(suffix.crc)} but the contents give 0x${hex8(computed)}. Copy the bundle again from HQ.`,
    };
  const matches = (wanted: number, actual: number): boolean => wanted === 0xffff || wanted === actual;
  if (!matches(suffix.vendorId, device.vendorId) || !matches(suffix.productId, device.productId))
    return {
      ok: false,
      problem: 'wrong_device',
      message: `The firmware file is for USB device ${hex4(suffix.vendorId)}:${hex4(suffix.productId)}, not for this ${hex4(device.vendorId)}:${hex4(device.productId)}. Check that the right device is connected.`,
    };
  return { ok: true, suffix, payload: file.subarray(0, file.length - DFU_SUFFIX_LENGTH) };
}

/** Appends a DFU suffix (as dfu-suffix -a does): for tests, models and HQ tooling. */
export function appendDfuSuffix(
  payload: Uint8Array,
  ids: { vendorId: number; productId: number; bcdDevice?: number; dfuVersion?: number },
): Uint8Array {
  const out = new Uint8Array(payload.length + DFU_SUFFIX_LENGTH);
  out.set(payload);
  const s = payload.length;
  const put16 = (at: number, v: number): void => {
    out[s + at] = v & 0xff;
    out[s + at + 1] = (v >> 8) & 0xff;
  };
  put16(0, ids.bcdDevice ?? 0xffff);
  put16(2, ids.productId);
  put16(4, ids.vendorId);
  put16(6, ids.dfuVersion ?? 0x0100);
  out.set([0x55, 0x46, 0x44, DFU_SUFFIX_LENGTH], s + 8);
  const crc = dfuCrc32(out.subarray(0, out.length - 4));
  out.set([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24], s + 12);
  return out;
}

/** One element of a DfuSe file: bytes and the address they load at. */
export interface DfuSeElement {
  readonly address: number;
  readonly data: Uint8Array;
}

/** One target (alternate setting) of a DfuSe file. */
export interface DfuSeTarget {
  readonly alternateSetting: number;
  readonly name: string;
  readonly elements: readonly DfuSeElement[];
}

/** True when the payload (suffix removed) starts with the DfuSe prefix. */
export function isDfuSeFile(payload: Uint8Array): boolean {
  return payload.length >= 11 && String.fromCharCode(...payload.subarray(0, 5)) === 'DfuSe';
}

/**
 * Parses a DfuSe container (UM0391 § 2: prefix "DfuSe", bVersion 1, DFUImageSize, bTargets; per
 * target "Target", bAlternateSetting, bTargetNamed, szTargetName[255], dwTargetSize, dwNbElements;
 * per element dwElementAddress, dwElementSize, data). Throws a message for a technician when the
 * container is inconsistent.
 */
export function parseDfuSeFile(payload: Uint8Array): DfuSeTarget[] {
  const bad = (why: string): Error => new Error(`The DfuSe firmware file is damaged: ${why}.`);
  if (!isDfuSeFile(payload)) throw bad('it does not start with "DfuSe"');
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (payload[5] !== 0x01) throw bad(`format version ${payload[5]} is not 1`);
  const imageSize = view.getUint32(6, true);
  if (imageSize !== payload.length) throw bad('the size in its header does not match the file');
  const targetCount = payload[10]!;
  const targets: DfuSeTarget[] = [];
  let offset = 11;
  for (let t = 0; t < targetCount; t += 1) {
    if (offset + 274 > payload.length) throw bad('a target header is cut off');
    if (String.fromCharCode(...payload.subarray(offset, offset + 6)) !== 'Target')
      throw bad('a target does not start with "Target"');
    const alternateSetting = payload[offset + 6]!;
    const named = view.getUint32(offset + 7, true) !== 0;
    const nameBytes = payload.subarray(offset + 11, offset + 266);
    const nul = nameBytes.indexOf(0);
    const name = named ? String.fromCharCode(...nameBytes.subarray(0, nul < 0 ? 255 : nul)) : '';
    const targetSize = view.getUint32(offset + 266, true);
    const elementCount = view.getUint32(offset + 270, true);
    offset += 274;
    const end = offset + targetSize;
    if (end > payload.length) throw bad('a target is longer than the file');
    const elements: DfuSeElement[] = [];
    for (let e = 0; e < elementCount; e += 1) {
      if (offset + 8 > end) throw bad('an element header is cut off');
      const address = view.getUint32(offset, true);
      const size = view.getUint32(offset + 4, true);
      offset += 8;
      if (offset + size > end) throw bad('an element is longer than its target');
      elements.push({ address, data: payload.subarray(offset, offset + size) });
      offset += size;
    }
    if (offset !== end) throw bad('a target size does not match its elements');
    targets.push({ alternateSetting, name, elements });
  }
  return targets;
}

/** Builds a DfuSe container (for tests and models; HQ uses ST's or dfuse-pack's tools). */
export function buildDfuSeFile(targets: readonly DfuSeTarget[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const target of targets) {
    const size = target.elements.reduce((sum, e) => sum + 8 + e.data.length, 0);
    const header = new Uint8Array(274);
    const hv = new DataView(header.buffer);
    header.set([...'Target'].map((c) => c.charCodeAt(0)));
    header[6] = target.alternateSetting;
    hv.setUint32(7, target.name === '' ? 0 : 1, true);
    header.set(
      [...target.name.slice(0, 254)].map((c) => c.charCodeAt(0)),
      11,
    );
    hv.setUint32(266, size, true);
    hv.setUint32(270, target.elements.length, true);
    parts.push(header);
    for (const element of target.elements) {
      const eh = new Uint8Array(8);
      new DataView(eh.buffer).setUint32(0, element.address, true);
      new DataView(eh.buffer).setUint32(4, element.data.length, true);
      parts.push(eh, element.data);
    }
  }
  const total = 11 + parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(total);
  out.set([...'DfuSe'].map((c) => c.charCodeAt(0)));
  out[5] = 1;
  new DataView(out.buffer).setUint32(6, total, true);
  out[10] = targets.length;
  let offset = 11;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
