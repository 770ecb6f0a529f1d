/**
 * Decodes tar header blocks (POSIX ustar, GNU long names, pax extended headers) without reading
 * entry contents, so a bundle's layout can be checked by seeking from header to header: every byte
 * of a target is then read exactly once, when it is hashed and copied. tar-stream writes bundles,
 * but its extractor cannot skip content without reading it, hence this small decoder.
 */
import { DeckhandError } from '../result';

/** Size of a tar block. */
export const TAR_BLOCK = 512;

/** What a header's typeflag says the entry is. */
export type TarEntryType =
  | 'file'
  | 'directory'
  | 'hardlink'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'fifo'
  | 'contiguous-file'
  | 'pax-header'
  | 'pax-global-header'
  | 'gnu-long-path'
  | 'gnu-long-link-path'
  | 'unknown';

/** One decoded header block. */
export interface TarHeader {
  readonly name: string;
  readonly type: TarEntryType;
  readonly size: number;
  readonly linkName: string;
}

/** True when the block is all zeros (the end-of-archive marker). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (const byte of block) if (byte !== 0) return false;
  return true;
}

/**
 * Decodes one 512-byte header. Throws `not_a_bundle` when the block is not a tar header (bad
 * checksum, unknown magic), which is how garbage or a compressed file is recognised.
 */
export function decodeTarHeader(block: Uint8Array): TarHeader {
  if (block.length !== TAR_BLOCK) throw notTar('a header block is short');
  const stored = parseOctal(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i += 1) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
  if (stored === null || stored !== sum) throw notTar('a header checksum does not match');
  const magic = ascii(block, 257, 6);
  const ustar = magic === 'ustar\0';
  const gnu = magic === 'ustar ';
  if (!ustar && !gnu) throw notTar('the header format is not ustar');
  const flag = block[156] as number;
  const size = parseSize(block);
  if (size === null) throw notTar('an entry size is not a number');
  let name = text(block, 0, 100);
  if (ustar) {
    const prefix = text(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return { name, type: typeOf(flag), size, linkName: text(block, 157, 100) };
}

/** Reads the `path` and `size` records of a pax extended header (other keys are ignored). */
export function decodePaxRecords(data: Uint8Array): { path?: string; size?: number } {
  const result: { path?: string; size?: number } = {};
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = data;
  while (rest.length > 0) {
    const space = rest.indexOf(32);
    if (space <= 0) throw notTar('a pax record has no length');
    const length = Number(decoder.decode(rest.subarray(0, space)));
    if (!Number.isInteger(length) || length <= space + 1 || length > rest.length)
      throw notTar('a pax record length is wrong');
    const record = decoder.decode(rest.subarray(space + 1, length - 1));
    if (rest[length - 1] !== 10) throw notTar('a pax record is not terminated');
    const equals = record.indexOf('=');
    if (equals <= 0) throw notTar('a pax record has no key');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') result.path = value;
    else if (key === 'size') {
      if (!/^\d{1,16}$/.test(value)) throw notTar('a pax size is not a number');
      result.size = Number(value);
    }
    rest = rest.subarray(length);
  }
  return result;
}

/** Decodes a GNU long-name entry's content (the name, NUL-terminated). */
export function decodeLongName(data: Uint8Array): string {
  const end = data.indexOf(0);
  return utf8(data.subarray(0, end === -1 ? data.length : end));
}

/** Bytes an entry occupies after its header (content rounded up to whole blocks). */
export function paddedSize(size: number): number {
  return Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
}

function typeOf(flag: number): TarEntryType {
  switch (flag) {
    case 0:
    case 48: // '0'
      return 'file';
    case 49:
      return 'hardlink';
    case 50:
      return 'symlink';
    case 51:
      return 'character-device';
    case 52:
      return 'block-device';
    case 53:
      return 'directory';
    case 54:
      return 'fifo';
    case 55:
      return 'contiguous-file';
    case 120: // 'x'
      return 'pax-header';
    case 103: // 'g'
      return 'pax-global-header';
    case 76: // 'L'
      return 'gnu-long-path';
    case 75: // 'K'
      return 'gnu-long-link-path';
    default:
      return 'unknown';
  }
}

/** Size field: octal, or GNU base-256 when the high bit of the first byte is set. */
function parseSize(block: Uint8Array): number | null {
  const first = block[124] as number;
  if ((first & 0x80) === 0) return parseOctal(block, 124, 12);
  if (first !== 0x80) return null; // negative base-256
  let value = 0;
  for (let i = 125; i < 136; i += 1) value = value * 256 + (block[i] as number);
  return Number.isSafeInteger(value) ? value : null;
}

function parseOctal(block: Uint8Array, offset: number, length: number): number | null {
  const field = ascii(block, offset, length)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (field === '') return 0;
  if (!/^[0-7]+$/.test(field)) return null;
  return parseInt(field, 8);
}

function ascii(block: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...block.subarray(offset, offset + length));
}

function text(block: Uint8Array, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return utf8(field.subarray(0, end === -1 ? field.length : end));
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw notTar('a file name is not UTF-8');
  }
}

function notTar(why: string): DeckhandError {
  return new DeckhandError(
    'not_a_bundle',
    `This file is not a Deckhand bundle (${why}). Bundles are .dhb files made by HQ; ask HQ for the right file.`,
  );
}
