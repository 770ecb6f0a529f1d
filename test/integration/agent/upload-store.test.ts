import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UploadStore } from '../../../agent/upload-store';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Chunks as the decoder hands them over: each in memory of its own, the last one short. */
function chunksOf(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(Buffer.from(data.subarray(at, at + size)));
  return chunks;
}

describe.each([
  ['on a worker thread', true],
  ['inline', false],
])('upload store, hashing %s', (_label, hashOnWorker) => {
  it('publishes a blob whose name is its hash, resuming after a restart from what is on disk', async () => {
    const dir = tempDir();
    const data = randomBytes(3 * 256 * 1024 + 4097);
    const chunks = chunksOf(data, 256 * 1024);
    const first = new UploadStore(dir, { hashOnWorker });
    expect(await first.begin(sha(data), data.length)).toEqual({ offset: 0, complete: false });
    let offset = 0;
    for (const chunk of chunks.slice(0, 2)) {
      const length = chunk.length;
      expect(await first.write(sha(data), offset, chunk)).toEqual({ offset: offset + length });
      offset += length;
    }
    await first.close();

    // The agent restarts: the hash is rebuilt from the bytes on disk before more are appended.
    const second = new UploadStore(dir, { hashOnWorker });
    expect(await second.begin(sha(data), data.length)).toEqual({ offset, complete: false });
    for (const chunk of chunks.slice(2)) {
      const length = chunk.length;
      await second.write(sha(data), offset, chunk);
      offset += length;
    }
    expect(await second.end(sha(data))).toEqual({ sha256: sha(data), length: data.length });
    expect(readFileSync(second.blobPath(sha(data))).equals(data)).toBe(true);
    await second.close();
  });

  it('discards an upload whose bytes do not match the announced hash', async () => {
    const store = new UploadStore(tempDir(), { hashOnWorker });
    const data = randomBytes(300 * 1024);
    const claimed = sha(Buffer.from('something else'));
    await store.begin(claimed, data.length);
    await store.write(claimed, 0, Buffer.from(data));
    await expect(store.end(claimed)).rejects.toMatchObject({ code: 'hash_mismatch' });
    expect(store.has(claimed)).toBe(false);
    await store.close();
  });
});
