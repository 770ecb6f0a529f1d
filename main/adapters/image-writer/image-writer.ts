/**
 * Writes one image to several drives at once (etcher-sdk's multi-write): the source is read and
 * decompressed once, each 4 MiB block goes to every drive still healthy, and a drive that fails
 * drops out with its own coded error while the others go on. Only the ranges a block map names are
 * written when one is given. Then every drive is synced and read back through O_DIRECT (bypassing
 * the page cache) and its SHA-256 compared with that of the bytes written. Drives are checked
 * against the system, mounted and source drives before anything is opened for writing.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { open, readFile, realpath, stat } from 'node:fs/promises';
import { parseBmap, type Bmap, type BmapRange } from '../../../core/image-writer/bmap';
import { checkTargetDisk } from '../../../core/image-writer/drive-guard';
import { ProgressMeter, type ProgressRecord } from '../../../core/progress/progress-meter';
import { DeckhandError, toErrorData, type AppErrorData } from '../../../core/result';
import { alignedBuffer } from './aligned-buffer';
import { DIRECT_ALIGN, DriveTarget } from './drive-target';
import { disksOfBlockDevice, readDiskUsage, type KernelPaths } from './drive-usage';
import { openImageSource, sourceFormat, type SourceFormat } from './image-source';

/** What to write where. */
export interface WriteRequest {
  readonly source: string;
  /** A bmaptool block map: only mapped ranges are written (and checked against its checksums). */
  readonly bmap?: string;
  /** Block devices (/dev/sdX) or files. */
  readonly targets: readonly string[];
  /** Read back and compare (default true). */
  readonly verify?: boolean;
  readonly jobId?: string;
  readonly onProgress?: (record: ProgressRecord) => void;
  readonly signal?: AbortSignal;
  /** Test hook: where /sys and /proc are. */
  readonly kernel?: KernelPaths;
}

/** One drive's outcome. */
export interface DriveResult {
  readonly target: string;
  readonly ok: boolean;
  /** Bytes written (mapped bytes with a block map). */
  readonly bytesWritten: number;
  /** SHA-256 of the bytes written, hex (null when not verifying). */
  readonly sha256: string | null;
  readonly verified: boolean;
  /** Whether writes and read-back bypassed the page cache (false where the file system refuses O_DIRECT). */
  readonly direct: boolean;
  readonly note: string | null;
  readonly error: AppErrorData | null;
}

/** The whole run. */
export interface WriteOutcome {
  readonly format: SourceFormat;
  readonly imageBytes: number;
  readonly mappedBytes: number;
  readonly results: readonly DriveResult[];
}

const BLOCK = 4 * 1024 * 1024;

interface Live {
  readonly path: string;
  drive: DriveTarget | null;
  error: AppErrorData | null;
  verified: boolean;
}

/** Checks every target, then writes and verifies; per-drive failures are in the results, not thrown. */
export async function writeImage(request: WriteRequest): Promise<WriteOutcome> {
  const bmap = request.bmap === undefined ? null : parseBmap(await readFile(request.bmap, 'utf8'));
  const lives: Live[] = [];
  const sources = request.bmap === undefined ? [request.source] : [request.source, request.bmap];
  const sourceReal = await realpath(request.source).catch(() => request.source);
  const sourceInfo = await stat(sourceReal).catch(() => null);
  for (const path of new Set(request.targets)) {
    const live: Live = { path, drive: null, error: null, verified: false };
    lives.push(live);
    try {
      await guardTarget(path, sources, sourceInfo, request.kernel);
    } catch (error) {
      live.error = toErrorData(error);
    }
  }
  for (const live of lives.filter((l) => l.error === null)) {
    try {
      live.drive = await DriveTarget.open(live.path);
    } catch (error) {
      live.error = toErrorData(error);
    }
  }
  const healthy = (): Live[] => lives.filter((l) => l.drive !== null && l.error === null);
  const source = healthy().length > 0 ? await openImageSource(request.source) : null;
  const imageSize = bmap?.imageSize ?? source?.size ?? null;
  for (const live of healthy()) {
    if (live.drive!.capacity !== null && imageSize !== null && live.drive!.capacity < imageSize)
      live.error = toErrorData(
        new DeckhandError(
          'drive_too_small',
          `${live.path} holds ${live.drive!.capacity} bytes; the image needs ${imageSize}. Use a larger drive.`,
        ),
      );
  }
  const meter = new ProgressMeter({
    jobId: request.jobId ?? 'write',
    totalBytes: bmap?.mappedBytes ?? source?.size ?? null,
    emit: request.onProgress ?? (() => undefined),
  });
  meter.step('writing');
  // Hashing what is written costs CPU; it is only needed to compare the read-back with.
  const verify = request.verify !== false;
  const hash = verify ? createHash('sha256') : null;
  const extents: { offset: number; length: number }[] = [];
  let written = 0;
  let totalIn = 0;
  try {
    if (source !== null && healthy().length > 0) {
      const result =
        source.format === 'raw' && bmap === null
          ? await pumpRaw(request.source, healthy, hash, extents, meter, request.signal)
          : await pump(source.stream, bmap, healthy, hash, extents, meter, request.signal);
      written = result.written;
      totalIn = result.totalIn;
    }
  } catch (error) {
    // The source failed (damaged archive, bmap mismatch, cancel): every drive still writing fails with it.
    const data = toErrorData(error);
    for (const live of healthy()) live.error = data;
  } finally {
    if (source !== null && !source.stream.destroyed) {
      source.stream.destroy();
      await once(source.stream, 'close').catch(() => undefined);
    }
  }
  const sha256 = hash === null ? null : hash.digest('hex');
  const finalSize = bmap?.imageSize ?? totalIn;
  await Promise.all(
    healthy().map(async (live) => {
      try {
        await live.drive!.finish(finalSize);
      } catch (error) {
        live.error = toErrorData(error);
      }
    }),
  );
  if (verify && healthy().length > 0) {
    meter.step('verifying');
    await Promise.all(
      healthy().map(async (live) => {
        try {
          const actual = await readBack(live.drive!, extents, request.signal, (n) =>
            meter.advance(n / healthy().length),
          );
          if (actual !== sha256)
            throw new DeckhandError(
              'hash_mismatch',
              `${live.path} does not read back what was written: the drive is faulty or fake (it may be smaller than it claims). Use another drive.`,
            );
          live.verified = true;
        } catch (error) {
          live.error = toErrorData(error);
        }
      }),
    );
  }
  meter.finish('done');
  await Promise.all(lives.map((live) => live.drive?.close()));
  return {
    format: source?.format ?? sourceFormat(request.source),
    imageBytes: finalSize,
    mappedBytes: written,
    results: lives.map((live) => ({
      target: live.path,
      ok: live.error === null,
      bytesWritten: live.error === null ? written : 0,
      sha256: live.error === null ? sha256 : null,
      verified: live.verified,
      direct: live.drive?.direct ?? false,
      note:
        live.drive !== null && !live.drive.direct
          ? 'The file system refused O_DIRECT (a memory-only one such as ramfs, or tmpfs before Linux 6.6), so writes and the read-back went through the page cache, which is where such a file system keeps its data.'
          : null,
      error: live.error,
    })),
  };
}

/** Refuses the system drive, mounted drives, the source's drive and the source file itself. */
async function guardTarget(
  path: string,
  sources: readonly string[],
  sourceInfo: { dev: number; ino: number } | null,
  kernel: KernelPaths | undefined,
): Promise<void> {
  const info = await stat(path).catch(() => null);
  // A missing /dev node is a drive that is gone, never a file to create in /dev.
  if (info === null && path.startsWith('/dev/'))
    throw new DeckhandError(
      'unplugged',
      `${path} is not there: the drive was unplugged. Plug it in and pick it again.`,
    );
  if (info?.isBlockDevice()) {
    const disks = disksOfBlockDevice(path, kernel) ?? [];
    const usage = readDiskUsage(sources, kernel);
    for (const disk of disks) checkTargetDisk(disk, path, usage);
    return;
  }
  if (info !== null && sourceInfo !== null && info.dev === sourceInfo.dev && info.ino === sourceInfo.ino)
    throw new DeckhandError('source_drive', `${path} is the image file itself. Pick another target.`);
}

/**
 * The fast path for a raw image without a block map: the file is read straight into the aligned
 * blocks (one copy, as dd does), the next block read while the last one is written.
 */
async function pumpRaw(
  path: string,
  healthy: () => Live[],
  hash: Hash | null,
  extents: { offset: number; length: number }[],
  meter: ProgressMeter,
  signal: AbortSignal | undefined,
): Promise<{ written: number; totalIn: number }> {
  const file = await open(path, 'r');
  try {
    const buffers = [alignedBuffer(BLOCK), alignedBuffer(BLOCK)];
    const readBlock = async (buffer: Buffer, offset: number): Promise<number> => {
      let done = 0;
      while (done < BLOCK) {
        const { bytesRead } = await file.read(buffer, done, BLOCK - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    };
    let position = 0;
    let index = 0;
    let length = await readBlock(buffers[0]!, 0);
    while (length > 0 && healthy().length > 0) {
      if (signal?.aborted)
        throw new DeckhandError('cancelled', 'Writing was cancelled; the drives hold an incomplete image.');
      const buffer = buffers[index]!;
      const offset = position;
      extents.push({ offset, length });
      hash?.update(buffer.subarray(0, length));
      const writes = Promise.all(
        healthy().map(async (live) => {
          try {
            await live.drive!.write(buffer, length, offset);
          } catch (error) {
            live.error = toErrorData(error);
          }
        }),
      );
      position += length;
      index = 1 - index;
      const next = length === BLOCK ? readBlock(buffers[index]!, position) : Promise.resolve(0);
      await writes;
      meter.advance(length);
      length = await next;
    }
    return { written: position, totalIn: position };
  } finally {
    await file.close();
  }
}

/** Streams the source into aligned blocks and writes each to every healthy drive. */
async function pump(
  stream: AsyncIterable<Buffer>,
  bmap: Bmap | null,
  healthy: () => Live[],
  hash: Hash | null,
  extents: { offset: number; length: number }[],
  meter: ProgressMeter,
  signal: AbortSignal | undefined,
): Promise<{ written: number; totalIn: number }> {
  const buffers = [alignedBuffer(BLOCK), alignedBuffer(BLOCK)];
  let current = 0;
  let fill = 0;
  let blockStart = 0;
  let position = 0;
  let written = 0;
  let inFlight: Promise<void> = Promise.resolve();
  const ranges: readonly BmapRange[] = bmap?.ranges ?? [
    { offset: 0, length: Number.MAX_SAFE_INTEGER, checksum: null },
  ];
  let rangeIndex = 0;
  let rangeHash: Hash | null = null;
  const rangeAlgorithm = bmap?.checksumType ?? 'sha256';

  const flush = async (): Promise<void> => {
    if (fill === 0) return;
    const buffer = buffers[current]!;
    const length = fill;
    const offset = blockStart;
    await inFlight;
    if (signal?.aborted)
      throw new DeckhandError('cancelled', 'Writing was cancelled; the drives hold an incomplete image.');
    extents.push({ offset, length });
    inFlight = Promise.all(
      healthy().map(async (live) => {
        try {
          await live.drive!.write(buffer, length, offset);
        } catch (error) {
          live.error = toErrorData(error);
        }
      }),
    ).then(() => {
      written += length;
      meter.advance(length);
    });
    current = 1 - current;
    fill = 0;
    if (healthy().length === 0) await inFlight;
  };

  for await (const chunk of stream) {
    let at = 0;
    while (at < chunk.length) {
      const range = ranges[rangeIndex];
      if (range === undefined) {
        position += chunk.length - at;
        break;
      }
      if (position < range.offset) {
        const skip = Math.min(range.offset - position, chunk.length - at);
        at += skip;
        position += skip;
        continue;
      }
      const rangeEnd = range.offset + range.length;
      const take = Math.min(rangeEnd - position, chunk.length - at, BLOCK - fill);
      if (fill > 0 && blockStart + fill !== position) await flush();
      if (fill === 0) blockStart = position;
      const piece = chunk.subarray(at, at + take);
      piece.copy(buffers[current]!, fill);
      hash?.update(piece);
      if (range.checksum !== null) (rangeHash ??= createHash(rangeAlgorithm)).update(piece);
      fill += take;
      at += take;
      position += take;
      if (fill === BLOCK) await flush();
      if (position === rangeEnd) {
        if (range.checksum !== null && rangeHash?.digest('hex') !== range.checksum)
          throw new DeckhandError(
            'hash_mismatch',
            `The image does not match its block map at byte ${range.offset}: the image or the .bmap is wrong or damaged. Get both again.`,
          );
        rangeHash = null;
        rangeIndex += 1;
        // Keep blocks aligned: a new range starts a new block unless it follows on directly.
      }
    }
    if (healthy().length === 0) break;
  }
  if (bmap !== null && rangeIndex < ranges.length)
    throw new DeckhandError(
      'truncated',
      'The image ends before the last range its block map names. Copy it again.',
    );
  await flush();
  await inFlight;
  return { written, totalIn: position };
}

/**
 * Reads the written extents back through the direct descriptor; returns their SHA-256. Several
 * reads are in flight while one block is hashed, so the drive's queue never runs dry.
 */
async function readBack(
  drive: DriveTarget,
  extents: readonly { offset: number; length: number }[],
  signal: AbortSignal | undefined,
  onBytes: (n: number) => void,
): Promise<string> {
  const depth = 4;
  const hash = createHash('sha256');
  const buffers = Array.from({ length: depth }, () => alignedBuffer(BLOCK + DIRECT_ALIGN));
  const start = (index: number): Promise<{ buffer: Buffer; skip: number; length: number }> => {
    const extent = extents[index]!;
    const alignedStart = Math.floor(extent.offset / DIRECT_ALIGN) * DIRECT_ALIGN;
    const skip = extent.offset - alignedStart;
    const span = Math.ceil((skip + extent.length) / DIRECT_ALIGN) * DIRECT_ALIGN;
    const buffer = buffers[index % depth]!;
    return drive.read(buffer, span, alignedStart).then((got) => {
      if (got < skip + extent.length)
        throw new DeckhandError('hash_mismatch', `${drive.path} ended before the image did when read back.`);
      return { buffer, skip, length: extent.length };
    });
  };
  const inFlight: Promise<{ buffer: Buffer; skip: number; length: number }>[] = [];
  for (let i = 0; i < Math.min(depth - 1, extents.length); i += 1) inFlight.push(start(i));
  try {
    for (let i = 0; i < extents.length; i += 1) {
      if (signal?.aborted) throw new DeckhandError('cancelled', 'Verification was cancelled.');
      // Block i+depth-1 reuses the buffer of block i-1, which is hashed by now.
      if (i + depth - 1 < extents.length) inFlight.push(start(i + depth - 1));
      const done = await inFlight.shift()!;
      hash.update(done.buffer.subarray(done.skip, done.skip + done.length));
      onBytes(done.length);
    }
  } finally {
    // Reads still in flight after a failure must not reject unobserved.
    await Promise.allSettled(inFlight);
  }
  return hash.digest('hex');
}

/** SHA-256 of the first `bytes` of a drive or file, read through O_DIRECT (the writer's verification pass). */
export async function readBackSha256(
  path: string,
  bytes: number,
): Promise<{ sha256: string; direct: boolean }> {
  const drive = await DriveTarget.open(path);
  try {
    const extents: { offset: number; length: number }[] = [];
    for (let offset = 0; offset < bytes; offset += BLOCK)
      extents.push({ offset, length: Math.min(BLOCK, bytes - offset) });
    return { sha256: await readBack(drive, extents, undefined, () => undefined), direct: drive.direct };
  } finally {
    await drive.close();
  }
}
