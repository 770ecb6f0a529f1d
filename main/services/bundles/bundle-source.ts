/**
 * Opens a bundle (a `.dhb` tar, or a folder with the same layout) and indexes it without reading
 * any target: the tar is walked header to header with seeks, every entry is checked against the
 * layout's safety rules, and the small metadata files are read into memory. Targets are read later,
 * once, by byte range, when they are hashed and copied.
 */
import type { Stats } from 'node:fs';
import { lstat, open, readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  MAX_ENTRIES,
  MAX_METADATA_BYTES,
  classifyEntry,
  checkEntryName,
} from '../../../core/bundle/bundle-layout';
import {
  TAR_BLOCK,
  decodeLongName,
  decodePaxRecords,
  decodeTarHeader,
  isZeroBlock,
  paddedSize,
  type TarEntryType,
} from '../../../core/bundle/tar-header';
import { DeckhandError } from '../../../core/result';

/** Where a target's bytes are. */
export interface TargetLocation {
  /** The file to read: the .dhb itself, or the target file in a folder bundle. */
  readonly file: string;
  readonly offset: number;
  readonly size: number;
}

/** An indexed bundle. */
export interface BundleSource {
  readonly path: string;
  readonly layout: 'tar' | 'folder';
  /** Metadata file name (inside `metadata/`) → bytes. */
  readonly metadata: ReadonlyMap<string, Uint8Array>;
  /** Target name inside `targets/` (consistent-snapshot name) → where its bytes are. */
  readonly targets: ReadonlyMap<string, TargetLocation>;
}

/** Indexes the bundle at `path`; throws coded DeckhandErrors (not_found, not_a_bundle, truncated, unsafe_path…). */
export async function openBundleSource(path: string): Promise<BundleSource> {
  let info: Stats;
  try {
    info = await lstat(path);
  } catch {
    throw new DeckhandError(
      'not_found',
      `There is no file at ${path}. Check the path, or that the USB stick is still plugged in.`,
    );
  }
  if (info.isDirectory()) return indexFolder(path);
  if (!info.isFile())
    throw new DeckhandError('not_a_bundle', `${path} is not a bundle file. Pick the .dhb file HQ sent.`);
  return indexTar(path);
}

async function indexTar(path: string): Promise<BundleSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw notABundle('it is empty');
    const metadata = new Map<string, Uint8Array>();
    const targets = new Map<string, TargetLocation>();
    const seen = new Set<string>();
    const block = Buffer.alloc(TAR_BLOCK);
    let offset = 0;
    let longName: string | null = null;
    let paxPath: string | undefined;
    let paxSize: number | undefined;
    let entries = 0;
    for (;;) {
      if (offset + TAR_BLOCK > size)
        throw offset === 0 ? notABundle('it is too short to be a tar archive') : truncated();
      await readExactly(handle, block, offset);
      if (isZeroBlock(block)) {
        if (offset === 0) throw notABundle('it starts with empty space');
        break;
      }
      const header = decodeTarHeader(block);
      const dataOffset = offset + TAR_BLOCK;
      const entrySize = paxSize ?? header.size;
      const next = dataOffset + paddedSize(entrySize);
      if (dataOffset + entrySize > size) throw truncated();
      if ((entries += 1) > MAX_ENTRIES) throw notABundle('it has too many entries');
      switch (header.type) {
        case 'pax-header':
        case 'gnu-long-path': {
          if (header.size > 64 * 1024) throw notABundle('an extended header is too large');
          const data = Buffer.alloc(header.size);
          await readExactly(handle, data, dataOffset);
          if (header.type === 'gnu-long-path') longName = decodeLongName(data);
          else {
            const records = decodePaxRecords(data);
            paxPath = records.path;
            paxSize = records.size;
          }
          offset = dataOffset + paddedSize(header.size);
          continue;
        }
        case 'pax-global-header':
          offset = next;
          continue;
        default:
          break;
      }
      const name = paxPath ?? longName ?? header.name;
      longName = null;
      paxPath = undefined;
      paxSize = undefined;
      const entry = classifyEntry(name, header.type as TarEntryType);
      if (entry.kind !== 'directory') {
        if (seen.has(entry.name)) throw notABundle(`it holds "${entry.name}" twice`);
        seen.add(entry.name);
      }
      if (entry.kind === 'metadata') {
        if (entrySize > MAX_METADATA_BYTES) throw tooLarge(entry.file);
        const data = Buffer.alloc(entrySize);
        await readExactly(handle, data, dataOffset);
        metadata.set(entry.file, data);
      } else if (entry.kind === 'target') {
        targets.set(entry.targetName, { file: path, offset: dataOffset, size: entrySize });
      }
      offset = next;
    }
    return { path, layout: 'tar', metadata, targets };
  } finally {
    await handle.close();
  }
}

async function indexFolder(root: string): Promise<BundleSource> {
  const metadata = new Map<string, Uint8Array>();
  const targets = new Map<string, TargetLocation>();
  let entries = 0;
  const walk = async (relative: string): Promise<void> => {
    const dir = relative === '' ? root : join(root, relative);
    for (const name of (await readdir(dir)).sort()) {
      const entryName = relative === '' ? name : `${relative}/${name}`;
      if ((entries += 1) > MAX_ENTRIES) throw notABundle('it has too many entries');
      const absolute = join(dir, name);
      const info = await lstat(absolute);
      checkEntryName(entryName);
      const entry = classifyEntry(entryName, typeOfStats(info));
      switch (entry.kind) {
        case 'directory':
          await walk(entryName);
          break;
        case 'metadata':
          if (info.size > MAX_METADATA_BYTES) throw tooLarge(entry.file);
          metadata.set(entry.file, await readFile(absolute));
          break;
        case 'target':
          targets.set(entry.targetName, { file: absolute, offset: 0, size: info.size });
          break;
      }
    }
  };
  await walk('');
  return { path: root, layout: 'folder', metadata, targets };
}

function typeOfStats(info: Stats): TarEntryType {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  if (info.isCharacterDevice()) return 'character-device';
  if (info.isBlockDevice()) return 'block-device';
  if (info.isFIFO()) return 'fifo';
  return 'unknown';
}

async function readExactly(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw truncated();
    done += bytesRead;
  }
}

function notABundle(why: string): DeckhandError {
  return new DeckhandError(
    'not_a_bundle',
    `This file is not a Deckhand bundle (${why}). Bundles are .dhb files made by HQ; ask HQ for the right file.`,
  );
}

function truncated(): DeckhandError {
  return new DeckhandError(
    'truncated',
    'This bundle is incomplete: the file ends early. The copy onto the stick was probably interrupted; copy it again from HQ’s file.',
  );
}

function tooLarge(file: string): DeckhandError {
  return new DeckhandError(
    'invalid_metadata',
    `This bundle was refused: its ${file} is far larger than any real metadata file. Ask HQ.`,
    { file },
  );
}
