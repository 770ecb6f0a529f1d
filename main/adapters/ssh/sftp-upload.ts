/**
 * Windowed SFTP upload from any offset: up to `concurrency` WRITE requests in flight, as ssh2's
 * fastPut does, but able to continue a partial remote file (fastPut always truncates).
 *
 * Resume rule: a new write is issued only when the oldest one in flight has been acknowledged, so
 * every byte more than one window (concurrency × chunkSize) below the highest offset ever sent is on
 * the device. A resume therefore restarts one window below the partial file's size; the remote
 * sha256 afterwards catches anything else (a partial file written with a larger window, or left with
 * garbage by a power cut, fails the check and is uploaded again from the start).
 */
import { open } from 'node:fs/promises';
import type { SFTPWrapper } from 'ssh2';
import { DeckhandError } from '../../../core/result';

/**
 * Default bytes per WRITE: two full SSH packets. OpenSSH's session channels carry at most 32 KiB per
 * packet, and a WRITE adds 29 bytes of header (with OpenSSH's 4-byte handles), so a 64 KiB write
 * would cost a third, nearly empty packet (its own encryption, padding and syscall).
 */
export const DEFAULT_CHUNK_SIZE = 2 * 32 * 1024 - 64;

/** Tuning and callbacks of one upload. */
export interface SftpUploadOptions {
  /** Bytes per WRITE request (default DEFAULT_CHUNK_SIZE). */
  readonly chunkSize?: number;
  /** WRITE requests in flight (default 64). */
  readonly concurrency?: number;
  readonly onBytes?: (bytes: number) => void;
  readonly signal?: AbortSignal;
}

/** Where a resume restarts for a partial remote file written with a window of `windowBytes` (the resume rule above). */
export function resumeOffset(partialSize: number, windowBytes: number): number {
  return Math.max(0, partialSize - windowBytes);
}

/** Writes local bytes [offset, length) to `remotePath` (created when offset is 0, else continued). */
export async function sftpUpload(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  offset: number,
  length: number,
  options: SftpUploadOptions = {},
): Promise<void> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const handle = await sftpOpen(sftp, remotePath, offset === 0 ? 'w' : 'r+');
  const local = await open(localPath, 'r');
  const inFlight: Promise<void>[] = [];
  let failure: unknown = null;
  try {
    // Local reads in blocks of several chunks: fewer thread-pool round trips than one read per chunk.
    const blockSize = chunkSize * 16;
    for (let position = offset; position < length;) {
      if (options.signal?.aborted) throw new DeckhandError('cancelled', 'The upload was cancelled.');
      if (failure !== null) throw failure;
      const blockLength = Math.min(blockSize, length - position);
      const block = Buffer.allocUnsafe(blockLength);
      let filled = 0;
      while (filled < blockLength) {
        const { bytesRead } = await local.read(block, filled, blockLength - filled, position + filled);
        if (bytesRead === 0)
          throw new DeckhandError(
            'length_mismatch',
            `${localPath} is shorter than the target's ${length} bytes.`,
          );
        filled += bytesRead;
      }
      for (let start = 0; start < blockLength; start += chunkSize) {
        const size = Math.min(chunkSize, blockLength - start);
        const write = sftpWrite(sftp, handle, block.subarray(start, start + size), position + start).then(
          () => options.onBytes?.(size),
          (error: unknown) => {
            failure ??= error;
          },
        );
        inFlight.push(write);
        // Wait for the oldest, not any: keeps every byte below (highest sent − window) acknowledged.
        if (inFlight.length >= concurrency) await inFlight.shift();
      }
      position += blockLength;
    }
    await Promise.all(inFlight);
    if (failure !== null) throw failure;
  } catch (error) {
    await Promise.allSettled(inFlight);
    throw error;
  } finally {
    await local.close();
    await new Promise<void>((resolve) => sftp.close(handle, () => resolve()));
  }
}

/** Size of a remote file, or null when it does not exist. */
export function sftpSize(sftp: SFTPWrapper, remotePath: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    sftp.stat(remotePath, (error, stats) => {
      if (!error) resolve(stats.size);
      else if ((error as Error & { code?: number }).code === 2) resolve(null);
      else reject(sftpError(error, remotePath));
    });
  });
}

function sftpOpen(sftp: SFTPWrapper, remotePath: string, flags: 'w' | 'r+'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sftp.open(remotePath, flags, 0o600, (error, handle) =>
      error ? reject(sftpError(error, remotePath)) : resolve(handle),
    );
  });
}

function sftpWrite(sftp: SFTPWrapper, handle: Buffer, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.write(handle, data, 0, data.length, position, (error) =>
      error ? reject(sftpError(error, '')) : resolve(),
    );
  });
}

function sftpError(error: Error & { code?: number | string }, remotePath: string): DeckhandError {
  // SFTP status codes: 3 permission denied, 4 failure (often a full disk).
  if (error.code === 3)
    return new DeckhandError(
      'unauthorized',
      `The device refused to write ${remotePath}: permission denied. Use a user that may write the staging folder.`,
    );
  if (error.code === 4 && /space|quota/i.test(error.message))
    return new DeckhandError(
      'disk_full',
      `The device ran out of space writing ${remotePath}. Free space on the device and try again.`,
    );
  if (error.message === 'No response from server' || /closed|not connected/i.test(error.message))
    return new DeckhandError(
      'link_lost',
      `The SFTP channel closed during the upload (${error.message}). Deckhand resumes when it reconnects.`,
    );
  return new DeckhandError('link_lost', `SFTP failed on ${remotePath || 'the device'}: ${error.message}.`);
}
