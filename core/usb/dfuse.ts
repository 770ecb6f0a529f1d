/**
 * ST's DfuSe extension of DFU (UM0391 § 6, AN3156 § 6): DNLOAD with wValue 0 carries a command
 * (0x21 set address pointer, 0x41 erase page or mass erase, 0x92 read unprotect); DNLOAD with
 * wValue ≥ 2 writes data at pointer + (wValue − 2) × wTransferSize. The memory layout is the name of
 * the alternate setting, e.g. "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg".
 */

/** DfuSe command bytes. */
export const DFUSE_COMMAND = {
  GET_COMMANDS: 0x00,
  SET_ADDRESS: 0x21,
  ERASE: 0x41,
  READ_UNPROTECT: 0x92,
} as const;

const withAddress = (command: number, address: number): Uint8Array =>
  Uint8Array.of(command, address & 0xff, (address >>> 8) & 0xff, (address >>> 16) & 0xff, address >>> 24);

/** "Set address pointer" (5 bytes). */
export function dfuseSetAddress(address: number): Uint8Array {
  return withAddress(DFUSE_COMMAND.SET_ADDRESS, address);
}

/** "Erase page" at the page holding `address` (5 bytes). */
export function dfuseErasePage(address: number): Uint8Array {
  return withAddress(DFUSE_COMMAND.ERASE, address);
}

/** "Mass erase" (1 byte). */
export function dfuseMassErase(): Uint8Array {
  return Uint8Array.of(DFUSE_COMMAND.ERASE);
}

/** A decoded DfuSe command (device models). */
export type DfuSeCommand =
  | { readonly kind: 'set-address'; readonly address: number }
  | { readonly kind: 'erase-page'; readonly address: number }
  | { readonly kind: 'mass-erase' }
  | { readonly kind: 'read-unprotect' }
  | { readonly kind: 'get-commands' }
  | { readonly kind: 'unknown'; readonly bytes: Uint8Array };

/** Decodes a wValue-0 DNLOAD payload. */
export function parseDfuSeCommand(bytes: Uint8Array): DfuSeCommand {
  const address = (): number => (bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24)) >>> 0;
  if (bytes.length === 0) return { kind: 'get-commands' };
  if (bytes[0] === DFUSE_COMMAND.SET_ADDRESS && bytes.length === 5)
    return { kind: 'set-address', address: address() };
  if (bytes[0] === DFUSE_COMMAND.ERASE && bytes.length === 5)
    return { kind: 'erase-page', address: address() };
  if (bytes[0] === DFUSE_COMMAND.ERASE && bytes.length === 1) return { kind: 'mass-erase' };
  if (bytes[0] === DFUSE_COMMAND.READ_UNPROTECT && bytes.length === 1) return { kind: 'read-unprotect' };
  return { kind: 'unknown', bytes };
}

/** One run of equal sectors in a DfuSe memory layout. */
export interface DfuSeSegment {
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  readonly pageSize: number;
  readonly readable: boolean;
  readonly erasable: boolean;
  readonly writable: boolean;
}

/** A DfuSe memory (one alternate setting). */
export interface DfuSeMemory {
  readonly name: string;
  readonly segments: readonly DfuSeSegment[];
}

/**
 * Parses a DfuSe memory layout string: "@Name/0xADDR/N*SIZE[ KM]T,…[/0xADDR/…]" where T is a letter
 * 'a'–'g' whose low 3 bits are readable (1), erasable (2), writable (4). Null when it is not one.
 */
export function parseDfuSeLayout(text: string): DfuSeMemory | null {
  if (!text.startsWith('@')) return null;
  const parts = text.slice(1).split('/');
  const name = (parts.shift() ?? '').trim();
  const segments: DfuSeSegment[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    let address = Number.parseInt(parts[i]!.trim(), 16);
    if (!Number.isFinite(address)) return null;
    for (const run of parts[i + 1]!.split(',')) {
      const match = /^\s*(\d+)\*\s*(\d+)\s*([ KM]?)\s*([a-g])\s*$/.exec(run);
      if (match === null) return null;
      const count = Number(match[1]);
      const unit = match[3] === 'K' ? 1024 : match[3] === 'M' ? 1024 * 1024 : 1;
      const pageSize = Number(match[2]) * unit;
      const type = match[4]!.charCodeAt(0) - 0x60;
      segments.push({
        start: address,
        end: address + count * pageSize,
        pageSize,
        readable: (type & 1) !== 0,
        erasable: (type & 2) !== 0,
        writable: (type & 4) !== 0,
      });
      address += count * pageSize;
    }
  }
  return segments.length === 0 ? null : { name, segments };
}

/** The segment holding `address`, or null. */
export function dfuseSegmentAt(memory: DfuSeMemory, address: number): DfuSeSegment | null {
  return memory.segments.find((s) => address >= s.start && address < s.end) ?? null;
}

/**
 * The start addresses of the pages a write of `length` bytes at `address` touches, or a message
 * when part of the range is outside the memory or not erasable and writable.
 */
export function dfusePagesToErase(
  memory: DfuSeMemory,
  address: number,
  length: number,
): { readonly pages: number[] } | { readonly problem: string } {
  const pages: number[] = [];
  const end = address + length;
  let at = address;
  while (at < end) {
    const segment = dfuseSegmentAt(memory, at);
    if (segment === null)
      return { problem: `address 0x${at.toString(16)} is outside the device memory "${memory.name}"` };
    if (!segment.erasable || !segment.writable)
      return {
        problem: `address 0x${at.toString(16)} is in a part of "${memory.name}" that cannot be written`,
      };
    const page = segment.start + Math.floor((at - segment.start) / segment.pageSize) * segment.pageSize;
    pages.push(page);
    at = page + segment.pageSize;
  }
  return { pages };
}
