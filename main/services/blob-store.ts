/**
 * The content-addressed store (`blobs/sha256/ab/cdef…` in the data folder). A blob is written to a
 * per-job staging folder while it is hashed, checked against the signed length and SHA-256, fsynced,
 * and only then renamed into place: a blob that is visible is always complete and correct. Staging
 * folders of jobs whose process died are removed when the store opens.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DeckhandError } from '../../core/result';
import { fsyncDir, isAlive } from '../../core/node-io/atomic-file';
import { readRange, type ByteRange } from './bundles/range-reader';

/** Bytes written between background flushes to disk. */
const FLUSH_EVERY = 64 * 1024 * 1024;

/** What a blob must be. */
export interface ExpectedBlob {
  readonly sha256: string;
  readonly length: number;
  /** Named in refusal messages. */
  readonly label: string;
}

/** A verified blob waiting in a staging folder. */
export interface StagedBlob {
  readonly sha256: string;
  readonly path: string;
}

/** A job's staging folder. */
export interface StagingArea {
  readonly dir: string;
  /** Removes the folder and everything staged in it. */
  discard(): Promise<void>;
}

/** The blob store of one data folder. */
export class BlobStore {
  readonly #root: string;
  readonly #staging: string;

  constructor(root: string) {
    this.#root = root;
    this.#staging = join(root, 'staging');
    mkdirSync(this.#staging, { recursive: true });
    this.#removeDeadStaging();
  }

  /** The folder holding the store. */
  get root(): string {
    return this.#root;
  }

  /** Where a blob lives once stored. */
  pathOf(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new DeckhandError('invalid_input', 'Not a SHA-256.');
    return join(this.#root, 'sha256', sha256.slice(0, 2), sha256.slice(2));
  }

  /** Whether the store holds this blob, at its full length. */
  has(sha256: string, length: number): boolean {
    try {
      return statSync(this.pathOf(sha256)).size === length;
    } catch {
      return false;
    }
  }

  /** Every blob's SHA-256 (for tests and maintenance). */
  list(): string[] {
    const base = join(this.#root, 'sha256');
    if (!existsSync(base)) return [];
    return readdirSync(base).flatMap((prefix) =>
      readdirSync(join(base, prefix)).map((rest) => `${prefix}${rest}`),
    );
  }

  /** A fresh staging folder for one job, named after this process so a dead job's folder can be recognised. */
  createStaging(): StagingArea {
    const dir = join(
      this.#staging,
      `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    );
    mkdirSync(dir, { recursive: true });
    return { dir, discard: () => rm(dir, { recursive: true, force: true }) };
  }

  /**
   * Copies a byte range of a bundle into the staging folder while hashing it, reading each byte
   * once and never past the signed length. Refuses with `length_mismatch` or `hash_mismatch` (the
   * staged file is then removed), `cancelled` when the signal fires. The staged file is fsynced
   * before this resolves.
   */
  async stage(
    staging: StagingArea,
    source: Omit<ByteRange, 'length'>,
    expected: ExpectedBlob,
    onBytes: (bytes: number) => void = () => {},
    signal?: AbortSignal,
  ): Promise<StagedBlob> {
    const path = join(staging.dir, expected.sha256);
    const file = await open(path, 'w', 0o644);
    const hash = createHash('sha256');
    // Flushing to disk in the background as the copy goes, instead of all at the end, overlaps the
    // disk's write-back with reading and hashing; the final sync then has little left to do.
    let written = 0;
    let flushed = 0;
    let flushing: Promise<void> = Promise.resolve();
    try {
      const length = await readRange(
        { ...source, length: expected.length },
        async (chunk) => {
          // The write runs on the thread pool while this thread hashes the same chunk.
          const writing = file.write(chunk, 0, chunk.length, written);
          hash.update(chunk);
          await writing;
          written += chunk.length;
          if (written - flushed >= FLUSH_EVERY) {
            flushed = written;
            await flushing;
            flushing = file.datasync();
          }
          onBytes(chunk.length);
        },
        () => {
          if (signal?.aborted) throw cancelled();
        },
      );
      await flushing;
      if (signal?.aborted) throw cancelled();
      if (length !== expected.length) throw lengthMismatch(expected, length);
      const actual = hash.digest('hex');
      if (actual !== expected.sha256) {
        throw new DeckhandError(
          'hash_mismatch',
          `This bundle was refused: ${expected.label} is not the file HQ signed (its SHA-256 differs). The stick may be failing or the file was changed; copy the bundle again or ask HQ.`,
          { target: expected.label },
        );
      }
      await file.sync();
      return { sha256: actual, path };
    } catch (error) {
      await flushing.catch(() => undefined);
      await file.close().catch(() => undefined);
      await rm(path, { force: true });
      throw error;
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** Moves verified blobs into place (an existing blob with the same hash is kept) and makes the renames durable. */
  async commit(staged: readonly StagedBlob[]): Promise<void> {
    const dirs = new Set<string>();
    for (const blob of staged) {
      const target = this.pathOf(blob.sha256);
      const dir = join(target, '..');
      mkdirSync(dir, { recursive: true });
      await rename(blob.path, target);
      dirs.add(dir);
    }
    for (const dir of dirs) fsyncDir(dir);
    if (dirs.size > 0) fsyncDir(join(this.#root, 'sha256'));
  }

  #removeDeadStaging(): void {
    for (const name of readdirSync(this.#staging)) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isInteger(pid) || !isAlive(pid))
        rmSync(join(this.#staging, name), { recursive: true, force: true });
    }
  }
}

function lengthMismatch(expected: ExpectedBlob, length: number): DeckhandError {
  return new DeckhandError(
    'length_mismatch',
    `This bundle was refused: ${expected.label} is not the size HQ signed (${length > expected.length ? 'longer than' : 'shorter than'} ${expected.length} bytes). The stick may be failing or the file was changed; copy the bundle again or ask HQ.`,
    { target: expected.label, expected: expected.length },
  );
}

function cancelled(): DeckhandError {
  return new DeckhandError('cancelled', 'The import was cancelled. Nothing from the bundle was kept.');
}
