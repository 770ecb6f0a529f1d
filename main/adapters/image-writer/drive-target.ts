/**
 * One drive (or file) being written: opened with O_DIRECT so writes and the read-back bypass the
 * page cache, or without it where the file system refuses O_DIRECT (tmpfs: there the page cache is
 * the storage, so there is nothing to bypass; the result says so). Aligned 4 KiB-multiple writes go
 * through the O_DIRECT descriptor; a partial last block goes through a buffered one and is synced.
 * Errors become coded: a block device that stops taking data is `unplugged`.
 */
import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DeckhandError } from '../../../core/result';
import { blockDevNumber } from './drive-usage';

/** Alignment of O_DIRECT offsets, lengths and memory (covers 512- and 4096-byte sectors). */
export const DIRECT_ALIGN = 4096;

/** An open target. */
export class DriveTarget {
  readonly path: string;
  readonly kind: 'block' | 'file';
  /** Whether the O_DIRECT descriptor is really direct. */
  readonly direct: boolean;
  /** Device capacity in bytes (block devices), null for files. */
  readonly capacity: number | null;
  readonly #handle: FileHandle;
  #buffered: FileHandle | null = null;

  private constructor(
    path: string,
    kind: 'block' | 'file',
    direct: boolean,
    capacity: number | null,
    handle: FileHandle,
  ) {
    this.path = path;
    this.kind = kind;
    this.direct = direct;
    this.capacity = capacity;
    this.#handle = handle;
  }

  /** Opens a block device or a file (created when missing) for writing. */
  static async open(path: string): Promise<DriveTarget> {
    const info = existsSync(path) ? statSync(path) : null;
    if (info !== null && !info.isBlockDevice() && !info.isFile())
      throw new DeckhandError('invalid_input', `${path} is neither a drive nor a file.`);
    const kind = info?.isBlockDevice() ? 'block' : 'file';
    const flags = constants.O_RDWR | (kind === 'file' ? constants.O_CREAT : 0);
    let capacity: number | null = null;
    if (kind === 'block') {
      const sectors = readFileSync(join('/sys/dev/block', blockDevNumber(path), 'size'), 'utf8');
      capacity = Number(sectors.trim()) * 512;
    }
    try {
      return new DriveTarget(path, kind, true, capacity, await open(path, flags | constants.O_DIRECT, 0o644));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw classify(error, path, kind);
    }
    try {
      return new DriveTarget(path, kind, false, capacity, await open(path, flags, 0o644));
    } catch (error) {
      throw classify(error, path, kind);
    }
  }

  /** Writes `length` bytes of `buffer` (page-aligned memory) at `offset`. */
  async write(buffer: Buffer, length: number, offset: number): Promise<void> {
    try {
      const aligned = Math.floor(length / DIRECT_ALIGN) * DIRECT_ALIGN;
      if (offset % DIRECT_ALIGN !== 0) {
        await this.#writeAll(await this.#bufferedHandle(), buffer, 0, length, offset);
        return;
      }
      if (aligned > 0) await this.#writeAll(this.#handle, buffer, 0, aligned, offset);
      if (aligned < length)
        await this.#writeAll(
          await this.#bufferedHandle(),
          buffer,
          aligned,
          length - aligned,
          offset + aligned,
        );
    } catch (error) {
      throw classify(error, this.path, this.kind);
    }
  }

  /** Reads into page-aligned `buffer` at an aligned `offset`; returns the bytes read. */
  async read(buffer: Buffer, length: number, offset: number): Promise<number> {
    try {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await this.#handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    } catch (error) {
      throw classify(error, this.path, this.kind);
    }
  }

  /** Flushes everything to the medium; a file is cut to `size` first when given. */
  async finish(size: number | null): Promise<void> {
    try {
      if (this.kind === 'file' && size !== null) await this.#handle.truncate(size);
      if (this.#buffered !== null) await this.#buffered.sync();
      await this.#handle.sync();
    } catch (error) {
      throw classify(error, this.path, this.kind);
    }
  }

  async close(): Promise<void> {
    await this.#buffered?.close().catch(() => undefined);
    await this.#handle.close().catch(() => undefined);
  }

  async #bufferedHandle(): Promise<FileHandle> {
    this.#buffered ??= await open(this.path, constants.O_RDWR);
    return this.#buffered;
  }

  async #writeAll(
    handle: FileHandle,
    buffer: Buffer,
    from: number,
    length: number,
    offset: number,
  ): Promise<void> {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await handle.write(buffer, from + done, length - done, offset + done);
      if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      done += bytesWritten;
    }
  }
}

/** Turns an I/O error into a coded error for a technician. */
export function classify(error: unknown, path: string, kind: 'block' | 'file'): DeckhandError {
  if (error instanceof DeckhandError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (
    ['ENODEV', 'ENXIO', 'ENOMEDIUM', 'EIO'].includes(code) ||
    (kind === 'block' && code === 'ENOSPC') ||
    (kind === 'block' && code === 'ENOENT')
  )
    // A block device whose size was checked before writing cannot be full: it stopped taking data
    // because it (or the card in it) went away.
    return new DeckhandError(
      'unplugged',
      `${path} stopped taking data (${code}): it was unplugged or failed. Plug it back in and write it again; the image on it is incomplete.`,
      { errno: code },
    );
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new DeckhandError(
      'disk_full',
      `There is no room left for ${path}. Free some space and try again.`,
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new DeckhandError(
      'unauthorized',
      `Deckhand may not write ${path} (${code}). Writing drives needs the privileged helper; a write-protected card has its lock switch on.`,
    );
  if (code === 'EBUSY')
    return new DeckhandError('drive_in_use', `${path} is in use by another program. Close it and try again.`);
  return new DeckhandError('internal', `Writing ${path} failed (${code || String(error)}).`);
}
