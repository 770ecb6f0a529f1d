import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../support/seeded-random';
import {
  applySparse,
  isSparseImage,
  splitSparse,
  SPARSE_BLOCK_SIZE,
} from '../../../../core/usb/sparse-image';

function image(length: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) out[i] = Math.floor(random() * 256);
  // A run of zero blocks and of a repeated pattern, so FILL chunks appear.
  out.fill(0, 3 * SPARSE_BLOCK_SIZE, 7 * SPARSE_BLOCK_SIZE);
  for (let i = 9 * SPARSE_BLOCK_SIZE; i < 11 * SPARSE_BLOCK_SIZE; i += 4)
    out.set([0xde, 0xad, 0xbe, 0xef], i);
  return out;
}

function reassemble(pieces: Uint8Array[], length: number): Uint8Array {
  const partition = new Uint8Array(Math.ceil(length / SPARSE_BLOCK_SIZE) * SPARSE_BLOCK_SIZE).fill(0x5a);
  for (const piece of pieces) applySparse(piece, partition);
  return partition;
}

describe('sparse images', () => {
  it('splits an image into pieces under the limit that reassemble byte-identically', () => {
    const raw = image(40 * SPARSE_BLOCK_SIZE + 123, 1); // not a whole number of blocks
    const pieces = splitSparse(raw, 64 * 1024);
    expect(pieces.length).toBeGreaterThan(2);
    for (const piece of pieces) {
      expect(isSparseImage(piece)).toBe(true);
      expect(piece.length).toBeLessThanOrEqual(64 * 1024);
    }
    const partition = reassemble(pieces, raw.length);
    expect(Buffer.from(partition.subarray(0, raw.length)).equals(Buffer.from(raw))).toBe(true);
    expect(partition.subarray(raw.length).every((b) => b === 0)).toBe(true); // last block zero-padded
  });

  it('stores uniform blocks as FILL chunks (a mostly empty image stays small)', () => {
    const raw = new Uint8Array(256 * SPARSE_BLOCK_SIZE);
    raw.set([1, 2, 3], 100 * SPARSE_BLOCK_SIZE);
    const [only] = splitSparse(raw, 1024 * 1024);
    expect(only!.length).toBeLessThan(3 * SPARSE_BLOCK_SIZE);
    expect(Buffer.from(reassemble([only!], raw.length)).equals(Buffer.from(raw))).toBe(true);
  });

  it('refuses a limit too small for one block, and malformed images', () => {
    expect(() => splitSparse(new Uint8Array(10), 1000)).toThrow(/too small/);
    const [piece] = splitSparse(image(12 * SPARSE_BLOCK_SIZE, 2), 1 << 20);
    expect(() =>
      applySparse(piece!.subarray(0, piece!.length - 100), new Uint8Array(12 * SPARSE_BLOCK_SIZE)),
    ).toThrow(/cut off/);
    expect(() => applySparse(piece!, new Uint8Array(4 * SPARSE_BLOCK_SIZE))).toThrow(
      /larger than the partition/,
    );
  });
});
