/**
 * bmaptool's block map files (`.bmap`, format 1.x and 2.0): which blocks of an image hold data, so
 * only those are written; the rest of a sparse image (empty file-system space) is skipped. Format:
 *   <bmap version="2.0"><ImageSize>…</ImageSize><BlockSize>4096</BlockSize>
 *     <BlocksCount>…</BlocksCount><ChecksumType>sha256</ChecksumType>
 *     <BmapFileChecksum>…</BmapFileChecksum>
 *     <BlockMap><Range chksum="…">0-1</Range><Range chksum="…">3</Range></BlockMap></bmap>
 * The file checksum is the hash of the file with that field's value replaced by zeros (bmaptool's
 * rule); each range's checksum covers the range's bytes in the image.
 */
import { createHash } from 'node:crypto';
import { DeckhandError } from '../result';

/** One run of mapped blocks, in bytes. */
export interface BmapRange {
  readonly offset: number;
  readonly length: number;
  /** The range's checksum (hex), when the file has one. */
  readonly checksum: string | null;
}

/** A parsed block map. */
export interface Bmap {
  readonly imageSize: number;
  readonly blockSize: number;
  readonly checksumType: 'sha256' | 'sha1';
  /** Sorted, non-overlapping, within the image. */
  readonly ranges: readonly BmapRange[];
  readonly mappedBytes: number;
}

function bad(why: string): never {
  throw new DeckhandError(
    'invalid_input',
    `The block map file is not valid (${why}). Use the .bmap made with the image.`,
  );
}

function field(xml: string, name: string): string | null {
  const match = new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml);
  return match ? match[1]! : null;
}

/** Parses and checks a bmap file. */
export function parseBmap(xml: string): Bmap {
  const version = /<bmap\s+version="(\d+)\.\d+"/.exec(xml)?.[1];
  if (version === undefined) bad('no <bmap version="…"> element');
  if (version !== '1' && version !== '2') bad(`version ${version}.x is not supported`);
  const number = (name: string): number => {
    const text = field(xml, name);
    const value = text === null ? NaN : Number(text);
    if (!Number.isSafeInteger(value) || value < 0) bad(`<${name}> is missing or not a number`);
    return value;
  };
  const imageSize = number('ImageSize');
  const blockSize = number('BlockSize');
  if (blockSize === 0 || blockSize % 512 !== 0) bad('the block size is not a multiple of 512');
  const checksumType = version === '1' ? 'sha1' : (field(xml, 'ChecksumType') ?? 'sha256');
  if (checksumType !== 'sha256' && checksumType !== 'sha1')
    bad(`checksum type ${checksumType} is not supported`);
  const fileChecksum = field(xml, 'BmapFileChecksum');
  if (fileChecksum !== null) {
    const zeroed = xml.replace(
      /(<BmapFileChecksum>\s*)([0-9a-fA-F]+)(\s*<\/BmapFileChecksum>)/,
      (_all, open: string, sum: string, close: string) => `${open}${'0'.repeat(sum.length)}${close}`,
    );
    if (createHash(checksumType).update(zeroed).digest('hex') !== fileChecksum.toLowerCase())
      throw new DeckhandError(
        'hash_mismatch',
        'The block map file is damaged: its own checksum does not match.',
      );
  }
  const ranges: BmapRange[] = [];
  let end = 0;
  for (const match of xml.matchAll(
    /<Range(?:\s+(?:sha1|chksum)="([0-9a-fA-F]+)")?\s*>\s*(\d+)(?:\s*-\s*(\d+))?\s*<\/Range>/g,
  )) {
    const first = Number(match[2]);
    const last = match[3] === undefined ? first : Number(match[3]);
    const offset = first * blockSize;
    if (last < first || offset < end) bad('its ranges overlap or are out of order');
    const length = Math.min((last + 1) * blockSize, imageSize) - offset;
    if (length <= 0) bad('a range lies past the end of the image');
    ranges.push({ offset, length, checksum: match[1]?.toLowerCase() ?? null });
    end = offset + length;
  }
  return {
    imageSize,
    blockSize,
    checksumType,
    ranges,
    mappedBytes: ranges.reduce((sum, r) => sum + r.length, 0),
  };
}
