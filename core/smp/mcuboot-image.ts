/**
 * The MCUboot image format (mcuboot docs/design.md, "Image format"): a 32-byte header, the image
 * body, then a TLV area (an optional protected block, magic 0x6908, and the unprotected block, magic
 * 0x6907). The SHA-256 TLV (type 0x10) covers header, body and protected TLVs; it is the hash that
 * MCUmgr's image list reports for the slot, so Deckhand reads it to know which slot holds a target.
 */
import { createHash } from 'node:crypto';
import { DeckhandError } from '../result';

/** MCUboot's image header magic. */
export const IMAGE_MAGIC = 0x96f3b83d;
const TLV_INFO_MAGIC = 0x6907;
const TLV_PROT_INFO_MAGIC = 0x6908;
/** TLV type of the image's SHA-256. */
export const TLV_SHA256 = 0x10;
const HEADER_BYTES = 32;

/** An image version, as MCUboot stores it. */
export interface ImageVersion {
  readonly major: number;
  readonly minor: number;
  readonly revision: number;
  readonly build: number;
}

/** What Deckhand needs from an MCUboot image. */
export interface McubootImageInfo {
  readonly version: ImageVersion;
  /** Version as MCUmgr prints it: "1.2.3", with ".build" when the build number is not 0. */
  readonly versionText: string;
  readonly headerSize: number;
  readonly imageSize: number;
  /** The SHA-256 TLV, hex. */
  readonly hash: string;
  /** Whether the SHA-256 TLV matches the bytes it covers. */
  readonly hashValid: boolean;
}

/** Formats a version as MCUmgr does (img_mgmt_ver_str). */
export function formatImageVersion(version: ImageVersion): string {
  const base = `${version.major}.${version.minor}.${version.revision}`;
  return version.build === 0 ? base : `${base}.${version.build}`;
}

/** Parses an MCUboot image; throws `bad_target` when it is not one. */
export function parseMcubootImage(image: Uint8Array): McubootImageInfo {
  const bad = (why: string): never => {
    throw new DeckhandError(
      'bad_target',
      `This file is not an MCUboot image (${why}). Build it with imgtool or west sign and bundle the signed .bin.`,
    );
  };
  const bytes = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
  if (bytes.length < HEADER_BYTES) bad('it is shorter than an image header');
  if (bytes.readUInt32LE(0) !== IMAGE_MAGIC) bad('the header magic is wrong');
  const headerSize = bytes.readUInt16LE(8);
  const protectedSize = bytes.readUInt16LE(10);
  const imageSize = bytes.readUInt32LE(12);
  const version: ImageVersion = {
    major: bytes[20]!,
    minor: bytes[21]!,
    revision: bytes.readUInt16LE(22),
    build: bytes.readUInt32LE(24),
  };
  let at = headerSize + imageSize;
  if (headerSize < HEADER_BYTES || at + 4 > bytes.length) bad('the sizes in its header do not fit the file');
  if (protectedSize > 0) {
    if (bytes.readUInt16LE(at) !== TLV_PROT_INFO_MAGIC) bad('the protected TLV block is missing');
    at += protectedSize;
  }
  const covered = at;
  if (at + 4 > bytes.length || bytes.readUInt16LE(at) !== TLV_INFO_MAGIC) bad('the TLV block is missing');
  const end = at + bytes.readUInt16LE(at + 2);
  if (end > bytes.length) bad('the TLV block runs past the end of the file');
  let hash: string | null = null;
  for (at += 4; at + 4 <= end;) {
    const type = bytes.readUInt16LE(at);
    const length = bytes.readUInt16LE(at + 2);
    if (at + 4 + length > end) bad('a TLV runs past its block');
    if (type === TLV_SHA256 && length === 32) hash = bytes.subarray(at + 4, at + 36).toString('hex');
    at += 4 + length;
  }
  if (hash === null) return bad('it has no SHA-256 TLV');
  const actual = createHash('sha256').update(bytes.subarray(0, covered)).digest('hex');
  return {
    version,
    versionText: formatImageVersion(version),
    headerSize,
    imageSize,
    hash,
    hashValid: actual === hash,
  };
}

/** Builds an unsigned MCUboot image around `body` (what `imgtool create` makes without a key). */
export function buildMcubootImage(body: Uint8Array, version: ImageVersion): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(IMAGE_MAGIC, 0);
  header.writeUInt16LE(HEADER_BYTES, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt32LE(body.length, 12);
  header[20] = version.major;
  header[21] = version.minor;
  header.writeUInt16LE(version.revision, 22);
  header.writeUInt32LE(version.build, 24);
  const signed = Buffer.concat([header, body]);
  const tlvs = Buffer.alloc(4 + 4 + 32);
  tlvs.writeUInt16LE(TLV_INFO_MAGIC, 0);
  tlvs.writeUInt16LE(tlvs.length, 2);
  tlvs.writeUInt16LE(TLV_SHA256, 4);
  tlvs.writeUInt16LE(32, 6);
  createHash('sha256').update(signed).digest().copy(tlvs, 8);
  return Buffer.concat([signed, tlvs]);
}
