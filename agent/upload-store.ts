/**
 * Resumable uploads keyed by (sha256, offset). Partial data lives in `uploads/<sha256>.part`; the
 * offset the agent reports is the file's size, so a cut at any moment resumes from what is really on
 * disk. `end` checks the whole file's SHA-256 and only then renames it to `blobs/<sha256>`: a blob's
 * name is always its content's hash.
 *
 * Speed: an upload in progress keeps its file open and hashes each chunk as it is appended (chunks
 * arrive in order; running-hash.ts hashes on a worker thread where the device has cores to spare),
 * so `end` needs no second pass over the file. Written data is flushed in the background every
 * 64 MiB, so the fsync before the blob is published has little left to do. After an agent restart the hash is
 * rebuilt from the bytes already on disk before the next chunk is appended.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync, statfsSync } from 'node:fs';
import { open, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DeckhandError } from '../core/result';
import { fsyncDir, readJsonIfExists, writeFileAtomic } from '../core/node-io/atomic-file';
import { hashOnWorkerByDefault, startRunningHash, type RunningHash } from './running-hash';

/** An upload being received: its open file, the bytes held and their running hash. */
interface OpenUpload {
  readonly handle: FileHandle;
  readonly length: number;
  readonly hash: RunningHash;
  held: number;
  /** Bytes written since the last background flush was started. */
  unflushed: number;
  /** Background flushes in flight (their failure fails the upload's end). */
  flushes: Promise<void>[];
}

/** Start flushing written data to the disk in the background every this many bytes. */
const FLUSH_EVERY_BYTES = 64 * 1024 * 1024;

/** The upload store of one state folder. */
export class UploadStore {
  readonly #uploads: string;
  readonly #blobs: string;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #open = new Map<string, OpenUpload>();
  readonly #hashOnWorker: boolean;

  /** `hashOnWorker`: hash uploads on a worker thread (default: where the device has 4 cores or more). */
  constructor(stateDir: string, options: { readonly hashOnWorker?: boolean } = {}) {
    this.#hashOnWorker = options.hashOnWorker ?? hashOnWorkerByDefault();
    this.#uploads = join(stateDir, 'uploads');
    this.#blobs = join(stateDir, 'blobs');
    mkdirSync(this.#uploads, { recursive: true });
    mkdirSync(this.#blobs, { recursive: true });
  }

  /** Path of a complete, hash-checked blob. */
  blobPath(sha256: string): string {
    return join(this.#blobs, sha256);
  }

  /** True when the blob is complete. */
  has(sha256: string): boolean {
    return existsSync(this.blobPath(sha256));
  }

  /** Starts or resumes an upload; answers the offset the agent already holds. */
  begin(sha256: string, length: number): Promise<{ offset: number; complete: boolean }> {
    return this.#locked(sha256, async () => {
      if (this.has(sha256)) return { offset: length, complete: true };
      await this.#closeOpen(sha256);
      const part = this.#part(sha256);
      const meta = this.#meta(sha256);
      if (meta !== undefined && meta.length !== length) await rm(part, { force: true });
      let offset = existsSync(part) ? (await stat(part)).size : 0;
      if (offset > length) {
        await truncate(part, 0);
        offset = 0;
      }
      const free = freeBytes(this.#uploads);
      if (length - offset > free) {
        throw new DeckhandError(
          'disk_full',
          `The device has ${free} bytes free; this upload needs ${length - offset} more.`,
        );
      }
      if (meta?.length !== length) writeFileAtomic(this.#metaPath(sha256), JSON.stringify({ length }), 0o644);
      if (!existsSync(part)) await (await open(part, 'a')).close();
      return { offset, complete: false };
    });
  }

  /** The offset held for an upload that was begun earlier. */
  resume(sha256: string): Promise<{ offset: number; length: number }> {
    return this.#locked(sha256, async () => {
      const meta = this.#meta(sha256);
      if (this.has(sha256)) {
        const size = statSync(this.blobPath(sha256)).size;
        return { offset: size, length: size };
      }
      if (meta === undefined || !existsSync(this.#part(sha256)))
        throw new DeckhandError(
          'not_found',
          'The device holds no partial upload with this SHA-256; begin it.',
        );
      return { offset: (await stat(this.#part(sha256))).size, length: meta.length };
    });
  }

  /**
   * Appends a chunk at `offset`, which must be exactly the bytes held so far. The store takes the
   * chunk's memory (it may move to the hashing thread): the caller must not touch `data` afterwards.
   */
  write(sha256: string, offset: number, data: Buffer): Promise<{ offset: number }> {
    return this.#locked(sha256, async () => {
      const upload = await this.#opened(sha256);
      if (offset !== upload.held) {
        throw new DeckhandError(
          'protocol_error',
          `Upload data for offset ${offset} arrived out of order; the device holds ${upload.held} bytes.`,
          {
            expected: upload.held,
          },
        );
      }
      if (offset + data.length > upload.length)
        throw new DeckhandError('invalid_input', 'The upload is longer than announced in upload.begin.');
      try {
        await upload.handle.write(data, 0, data.length, null);
      } catch (error) {
        // What reached the disk is unknown: start again from the file's real size.
        await this.#closeOpen(sha256);
        throw error;
      }
      upload.held += data.length;
      upload.unflushed += data.length;
      // The data is written and not needed here any more: its memory may move to the hasher.
      upload.hash.adopt(data);
      if (upload.unflushed >= FLUSH_EVERY_BYTES) {
        // Flush while more arrives, so the fsync at the end has little left to do.
        upload.unflushed = 0;
        upload.flushes.push(upload.handle.datasync());
      }
      return { offset: upload.held };
    });
  }

  /** Completes an upload: checks length and SHA-256, then publishes it as a blob. */
  end(sha256: string): Promise<{ sha256: string; length: number }> {
    return this.#locked(sha256, async () => {
      if (this.has(sha256)) return { sha256, length: statSync(this.blobPath(sha256)).size };
      const meta = this.#meta(sha256);
      const part = this.#part(sha256);
      if (meta === undefined || !existsSync(part))
        throw new DeckhandError('invalid_state', 'No upload with this SHA-256 was begun.');
      const upload = await this.#opened(sha256);
      const held = upload.held;
      if (held !== meta.length) {
        throw new DeckhandError(
          'truncated',
          `The device holds ${held} of ${meta.length} bytes; resume the upload.`,
          {
            offset: held,
          },
        );
      }
      this.#open.delete(sha256);
      let actual: string;
      try {
        [actual] = await Promise.all([upload.hash.digest(), upload.handle.sync(), ...upload.flushes]);
      } finally {
        upload.hash.close();
        await upload.handle.close();
      }
      if (actual !== sha256) {
        await rm(part, { force: true });
        await rm(this.#metaPath(sha256), { force: true });
        throw new DeckhandError(
          'hash_mismatch',
          'The uploaded file does not match its SHA-256; it was discarded. Upload it again.',
          {
            actual,
          },
        );
      }
      await rename(part, this.blobPath(sha256));
      fsyncDir(this.#blobs);
      await rm(this.#metaPath(sha256), { force: true });
      return { sha256, length: meta.length };
    });
  }

  /** Closes every open upload (the agent stops). */
  async close(): Promise<void> {
    for (const sha256 of [...this.#open.keys()]) await this.#closeOpen(sha256);
  }

  /** The open upload, opening it (and hashing what is already on disk) on first use. */
  async #opened(sha256: string): Promise<OpenUpload> {
    const cached = this.#open.get(sha256);
    if (cached) return cached;
    const meta = this.#meta(sha256);
    const part = this.#part(sha256);
    if (meta === undefined || !existsSync(part)) {
      throw new DeckhandError(
        'invalid_state',
        'Upload data arrived before upload.begin; begin the upload first.',
      );
    }
    const hash = startRunningHash(this.#hashOnWorker);
    let held = 0;
    for await (const chunk of createReadStream(part, { highWaterMark: 1024 * 1024 })) {
      held += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
    }
    const handle = await open(part, 'a');
    const upload: OpenUpload = { handle, length: meta.length, hash, held, unflushed: 0, flushes: [] };
    this.#open.set(sha256, upload);
    return upload;
  }

  async #closeOpen(sha256: string): Promise<void> {
    const upload = this.#open.get(sha256);
    if (upload === undefined) return;
    this.#open.delete(sha256);
    upload.hash.close();
    await Promise.allSettled(upload.flushes);
    await upload.handle.close().catch(() => undefined);
  }

  #part(sha256: string): string {
    return join(this.#uploads, `${sha256}.part`);
  }

  #metaPath(sha256: string): string {
    return join(this.#uploads, `${sha256}.json`);
  }

  #meta(sha256: string): { length: number } | undefined {
    const raw = readJsonIfExists(this.#metaPath(sha256)) as { length?: unknown } | undefined;
    return typeof raw?.length === 'number' ? { length: raw.length } : undefined;
  }

  /** Serialises operations on one upload (two connections may race after a cut). */
  #locked<T>(sha256: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(sha256) ?? Promise.resolve();
    const next = previous.then(run, run);
    const settled = next.catch(() => undefined);
    this.#locks.set(sha256, settled);
    void settled.then(() => {
      if (this.#locks.get(sha256) === settled) this.#locks.delete(sha256);
    });
    return next;
  }
}

/** Free bytes available to unprivileged writes in the folder's file system. */
export function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

/** SHA-256 of a file, streamed (never blocks the event loop on a large file). */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    hash.update(chunk as Buffer);
  return hash.digest('hex');
}
