/**
 * Android sparse images (AOSP system/core/libsparse/sparse_format.h): a 28-byte header (magic
 * 0xED26FF3A, version 1.0, block size, total blocks, chunk count) and chunks of 12-byte headers:
 * RAW (blocks follow), FILL (a 4-byte pattern repeated), DONT_CARE (skip) and CRC32. fastboot sends
 * an image larger than the bootloader's max-download-size as several sparse images, each covering
 * the whole partition with DONT_CARE around its share (libsparse's sparse_file_resparse); the
 * bootloader writes each one in turn and the partition ends up holding the whole image.
 */

/** Sparse header magic. */
export const SPARSE_MAGIC = 0xed26ff3a;
const FILE_HEADER = 28;
const CHUNK_HEADER = 12;
/** Chunk types. */
export const CHUNK_TYPE = { RAW: 0xcac1, FILL: 0xcac2, DONT_CARE: 0xcac3, CRC32: 0xcac4 } as const;
/** fastboot's block size. */
export const SPARSE_BLOCK_SIZE = 4096;

/** True when the bytes start with the sparse magic. */
export function isSparseImage(bytes: Uint8Array): boolean {
  return (
    bytes.length >= FILE_HEADER &&
    new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === SPARSE_MAGIC
  );
}

type Chunk =
  | { readonly type: 'raw'; readonly block: number; readonly blocks: number }
  | { readonly type: 'fill'; readonly block: number; readonly blocks: number; readonly pattern: number }
  | { readonly type: 'skip'; readonly blocks: number };

const chunkBytes = (chunk: Chunk, blockSize: number): number =>
  CHUNK_HEADER + (chunk.type === 'raw' ? chunk.blocks * blockSize : chunk.type === 'fill' ? 4 : 0);

/** The block's bytes as one repeated 32-bit word, or null. */
function fillPattern(image: Uint8Array, start: number, blockSize: number): number | null {
  const end = start + blockSize;
  if (end > image.length) return null; // the padded last block is written raw
  const view = new DataView(image.buffer, image.byteOffset + start, blockSize);
  const word = view.getUint32(0, true);
  for (let i = 4; i < blockSize; i += 4) if (view.getUint32(i, true) !== word) return null;
  return word;
}

/** Describes the whole image as RAW and FILL chunks, block by block. */
function describe(image: Uint8Array, blockSize: number): Chunk[] {
  const chunks: Chunk[] = [];
  const blocks = Math.ceil(image.length / blockSize);
  for (let b = 0; b < blocks; b += 1) {
    const pattern = fillPattern(image, b * blockSize, blockSize);
    const last = chunks[chunks.length - 1];
    if (pattern !== null) {
      if (last?.type === 'fill' && last.pattern === pattern)
        chunks[chunks.length - 1] = { ...last, blocks: last.blocks + 1 };
      else chunks.push({ type: 'fill', block: b, blocks: 1, pattern });
    } else if (last?.type === 'raw') chunks[chunks.length - 1] = { ...last, blocks: last.blocks + 1 };
    else chunks.push({ type: 'raw', block: b, blocks: 1 });
  }
  return chunks;
}

function encode(
  image: Uint8Array,
  chunks: readonly Chunk[],
  blockSize: number,
  totalBlocks: number,
): Uint8Array {
  const size = FILE_HEADER + chunks.reduce((sum, c) => sum + chunkBytes(c, blockSize), 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, SPARSE_MAGIC, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, 0, true);
  view.setUint16(8, FILE_HEADER, true);
  view.setUint16(10, CHUNK_HEADER, true);
  view.setUint32(12, blockSize, true);
  view.setUint32(16, totalBlocks, true);
  view.setUint32(20, chunks.length, true);
  view.setUint32(24, 0, true);
  let at = FILE_HEADER;
  for (const chunk of chunks) {
    const type =
      chunk.type === 'raw' ? CHUNK_TYPE.RAW : chunk.type === 'fill' ? CHUNK_TYPE.FILL : CHUNK_TYPE.DONT_CARE;
    view.setUint16(at, type, true);
    view.setUint32(at + 4, chunk.blocks, true);
    view.setUint32(at + 8, chunkBytes(chunk, blockSize), true);
    at += CHUNK_HEADER;
    if (chunk.type === 'raw') {
      const from = chunk.block * blockSize;
      const data = image.subarray(from, Math.min(image.length, from + chunk.blocks * blockSize));
      out.set(data, at); // a short last block stays zero-padded
      at += chunk.blocks * blockSize;
    } else if (chunk.type === 'fill') {
      view.setUint32(at, chunk.pattern, true);
      at += 4;
    }
  }
  return out;
}

/**
 * Splits a raw image into sparse images of at most `maxBytes` each (fastboot's resparse): every
 * piece covers all the image's blocks, with DONT_CARE before and after its share, so flashing the
 * pieces in order writes the whole image. The last block is zero-padded to the block size.
 */
export function splitSparse(
  image: Uint8Array,
  maxBytes: number,
  blockSize = SPARSE_BLOCK_SIZE,
): Uint8Array[] {
  const totalBlocks = Math.ceil(image.length / blockSize);
  // Header, a leading and a trailing DONT_CARE, and at least one block of data must fit.
  const overhead = FILE_HEADER + 3 * CHUNK_HEADER;
  if (maxBytes < overhead + blockSize)
    throw new Error(
      `A download limit of ${maxBytes} bytes is too small for sparse images of ${blockSize}-byte blocks.`,
    );
  const pieces: Uint8Array[] = [];
  let current: Chunk[] = [];
  let used = FILE_HEADER + 2 * CHUNK_HEADER;
  let pieceStart = 0;
  let nextBlock = 0;
  const flush = (): void => {
    const chunks: Chunk[] = [];
    if (pieceStart > 0) chunks.push({ type: 'skip', blocks: pieceStart });
    chunks.push(...current);
    if (nextBlock < totalBlocks) chunks.push({ type: 'skip', blocks: totalBlocks - nextBlock });
    pieces.push(encode(image, chunks, blockSize, totalBlocks));
    current = [];
    used = FILE_HEADER + 2 * CHUNK_HEADER;
    pieceStart = nextBlock;
  };
  for (const chunk of describe(image, blockSize)) {
    if (chunk.type === 'skip') continue;
    let remaining = chunk;
    while (remaining.blocks > 0) {
      const room = maxBytes - used;
      let take = remaining.blocks;
      if (remaining.type === 'raw') take = Math.min(take, Math.floor((room - CHUNK_HEADER) / blockSize));
      else if (room < CHUNK_HEADER + 4) take = 0;
      if (take <= 0) {
        flush();
        continue;
      }
      const piece: Chunk = { ...remaining, blocks: take };
      current.push(piece);
      used += chunkBytes(piece, blockSize);
      nextBlock = remaining.block + take;
      remaining = { ...remaining, block: remaining.block + take, blocks: remaining.blocks - take };
    }
  }
  if (current.length > 0 || pieces.length === 0) flush();
  return pieces;
}

/** A sparse image's header. */
export interface SparseHeader {
  readonly blockSize: number;
  readonly totalBlocks: number;
  readonly totalChunks: number;
}

/**
 * Applies a sparse image to `target` (a partition of totalBlocks × blockSize bytes) as a bootloader
 * does; DONT_CARE leaves bytes as they are. Throws on a malformed image.
 */
export function applySparse(sparse: Uint8Array, target: Uint8Array): SparseHeader {
  const view = new DataView(sparse.buffer, sparse.byteOffset, sparse.byteLength);
  if (!isSparseImage(sparse)) throw new Error('not a sparse image');
  if (view.getUint16(4, true) !== 1) throw new Error('unsupported sparse major version');
  const fileHeader = view.getUint16(8, true);
  const chunkHeader = view.getUint16(10, true);
  const header: SparseHeader = {
    blockSize: view.getUint32(12, true),
    totalBlocks: view.getUint32(16, true),
    totalChunks: view.getUint32(20, true),
  };
  if (header.blockSize === 0 || header.blockSize % 4 !== 0) throw new Error('bad sparse block size');
  if (header.totalBlocks * header.blockSize > target.length)
    throw new Error('sparse image larger than the partition');
  let at = fileHeader;
  let block = 0;
  for (let c = 0; c < header.totalChunks; c += 1) {
    if (at + chunkHeader > sparse.length) throw new Error('sparse chunk header cut off');
    const type = view.getUint16(at, true);
    const blocks = view.getUint32(at + 4, true);
    const total = view.getUint32(at + 8, true);
    const body = sparse.subarray(at + chunkHeader, at + total);
    if (at + total > sparse.length) throw new Error('sparse chunk cut off');
    const offset = block * header.blockSize;
    const length = blocks * header.blockSize;
    if (type !== CHUNK_TYPE.CRC32 && block + blocks > header.totalBlocks)
      throw new Error('sparse chunk past the end');
    switch (type) {
      case CHUNK_TYPE.RAW:
        if (body.length !== length) throw new Error('sparse RAW chunk size mismatch');
        target.set(body, offset);
        break;
      case CHUNK_TYPE.FILL: {
        if (body.length !== 4) throw new Error('sparse FILL chunk size mismatch');
        for (let i = 0; i < length; i += 4) target.set(body, offset + i);
        break;
      }
      case CHUNK_TYPE.DONT_CARE:
        if (body.length !== 0) throw new Error('sparse DONT_CARE chunk has data');
        break;
      case CHUNK_TYPE.CRC32:
        break;
      default:
        throw new Error(`unknown sparse chunk type 0x${type.toString(16)}`);
    }
    if (type !== CHUNK_TYPE.CRC32) block += blocks;
    at += total;
  }
  if (block !== header.totalBlocks) throw new Error('sparse chunks do not cover the image');
  return header;
}
