/**
 * Creates a bundle (HQ side): measures each target by streaming it, signs the metadata with the keys
 * folder, then writes the `.dhb` tar (metadata first, then targets under consistent-snapshot names),
 * streaming each target again and checking it still hashes the same. Nothing is held in memory but
 * one chunk at a time; the output appears under its name only once complete and fsynced.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack as createPack, type Pack } from 'tar-stream';
import { METADATA_DIR, targetEntryName } from '../../../core/bundle/bundle-layout';
import { buildBundleMetadata, type TargetSpec } from '../../../core/bundle/metadata-builder';
import { targetPathFor, type TargetCustom } from '../../../core/bundle/target-info';
import { DeckhandError } from '../../../core/result';
import { fsyncDir, writeFileAtomic } from '../../../core/node-io/atomic-file';
import type { KeyRing } from './key-ring';
import { join, dirname } from 'node:path';

/** One file to put in a bundle, with its metadata. */
export interface TargetInput {
  readonly file: string;
  readonly custom: TargetCustom;
}

/** What was written. */
export interface CreatedBundle {
  readonly out: string;
  readonly version: number;
  readonly expires: string;
  readonly targets: readonly TargetSpec[];
  readonly bytes: number;
}

/** Options of createBundle. */
export interface CreateBundleOptions {
  readonly ring: KeyRing;
  readonly targets: readonly TargetInput[];
  readonly out: string;
  readonly expires: Date;
  readonly now?: Date;
  /** Called with bytes processed (both passes) for a progress display. */
  readonly onBytes?: (bytes: number) => void;
}

const FIXED_MTIME = new Date(Date.UTC(2020, 0, 1));

/** Writes a signed bundle to `options.out`. */
export async function createBundle(options: CreateBundleOptions): Promise<CreatedBundle> {
  if (options.targets.length === 0)
    throw new DeckhandError('usage', 'A bundle needs at least one --release, --model or manifest target.');
  const onBytes = options.onBytes ?? (() => {});
  const specs: TargetSpec[] = [];
  for (const target of options.targets) {
    if (!existsSync(target.file)) throw new DeckhandError('not_found', `There is no file at ${target.file}.`);
    const { sha256, length } = await hashFile(target.file, onBytes);
    specs.push({
      path: targetPathFor(target.custom, basename(target.file)),
      length,
      sha256,
      custom: target.custom,
    });
  }
  const version = nextVersion(options.ring.dir, options.now ?? new Date());
  const files = buildBundleMetadata({
    rootChain: options.ring.rootChain,
    keys: {
      targets: [options.ring.keys.targets],
      snapshot: [options.ring.keys.snapshot],
      timestamp: [options.ring.keys.timestamp],
      releases: [options.ring.keys.releases],
      models: [options.ring.keys.models],
    },
    targets: specs,
    version,
    expires: options.expires,
  });

  const temp = `${options.out}.partial-${process.pid}`;
  const pack = createPack();
  const written = pipeline(pack, createWriteStream(temp));
  let bytes = 0;
  try {
    for (const [name, data] of files) {
      await addBuffer(pack, `${METADATA_DIR}/${name}`, Buffer.from(data));
      bytes += data.length;
    }
    const done = new Set<string>();
    for (const [index, spec] of specs.entries()) {
      const name = targetEntryName(spec.path, spec.sha256);
      if (done.has(name)) continue;
      done.add(name);
      const file = (options.targets[index] as TargetInput).file;
      const sha = await addFile(pack, name, file, spec.length, onBytes);
      if (sha !== spec.sha256)
        throw new DeckhandError(
          'hash_mismatch',
          `${file} changed while the bundle was being written. Run bundle create again.`,
        );
      bytes += spec.length;
    }
    pack.finalize();
    await written;
    const handle = await open(temp, 'r+');
    await handle.sync();
    await handle.close();
    await rename(temp, options.out);
    fsyncDir(dirname(join(options.out)));
  } catch (error) {
    pack.destroy();
    await written.catch(() => undefined);
    rmSync(temp, { force: true });
    throw error;
  }
  return { out: options.out, version, expires: options.expires.toISOString(), targets: specs, bytes };
}

/** SHA-256 and length of a file, streamed. */
export async function hashFile(
  file: string,
  onBytes: (bytes: number) => void = () => {},
): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    length += chunk.length;
    onBytes(chunk.length);
  }
  return { sha256: hash.digest('hex'), length };
}

/**
 * The next metadata version: seconds since 1970, or one more than the last used if that is higher,
 * so versions only grow even when several bundles are made in one second or on runners with
 * slightly different clocks.
 */
function nextVersion(dir: string, now: Date): number {
  const file = join(dir, 'bundle-state.json');
  let last = 0;
  if (existsSync(file)) {
    try {
      last = Number((JSON.parse(readFileSync(file, 'utf8')) as { lastVersion?: unknown }).lastVersion) || 0;
    } catch {
      last = 0;
    }
  }
  const version = Math.max(last + 1, Math.floor(now.getTime() / 1000));
  writeFileAtomic(file, `${JSON.stringify({ lastVersion: version })}\n`);
  return version;
}

function addBuffer(pack: Pack, name: string, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: data.length, mode: 0o644, mtime: FIXED_MTIME }, data, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}

function addFile(
  pack: Pack,
  name: string,
  file: string,
  size: number,
  onBytes: (bytes: number) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const entry = pack.entry({ name, size, mode: 0o644, mtime: FIXED_MTIME }, (error) =>
      error ? reject(error) : resolve(hash.digest('hex')),
    );
    const input = createReadStream(file, { highWaterMark: 1024 * 1024 });
    input.on('data', (data: string | Buffer) => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      hash.update(chunk);
      onBytes(chunk.length);
      if (!entry.write(chunk)) {
        input.pause();
        entry.once('drain', () => {
          input.resume();
        });
      }
    });
    input.on('end', () => {
      (entry as NodeJS.WritableStream).end();
    });
    input.on('error', (error) => {
      entry.destroy(error);
      reject(error);
    });
  });
}
