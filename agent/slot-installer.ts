/**
 * Writing releases into slots and switching the models folder, both crash-safe. A slot is built in a
 * staging folder, fsynced, and renamed into place; the boot state refers to it only afterwards. The
 * models folder is a symlink (`models/current`) to a generation folder, swapped with one rename.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SlotName, VerifiedTarget } from '../core/protocol/messages';
import { DeckhandError } from '../core/result';
import { fsyncDir, readJsonIfExists, writeFileAtomic } from '../core/node-io/atomic-file';
import { extractTar } from './tar-extract';

/** Name of the file a `copy` install puts in the slot. */
export const PAYLOAD_FILE = 'payload';

/** Folder of a slot. */
export function slotDir(stateDir: string, slot: SlotName): string {
  return join(stateDir, 'slots', slot);
}

/** Removes staging folders a crash left behind (start-up housekeeping). */
export function cleanStaging(stateDir: string): void {
  const slots = join(stateDir, 'slots');
  mkdirSync(slots, { recursive: true });
  for (const entry of readdirSync(slots))
    if (entry.startsWith('.')) rmSync(join(slots, entry), { recursive: true, force: true });
  const models = join(stateDir, 'models');
  mkdirSync(models, { recursive: true });
  for (const entry of readdirSync(models))
    if (entry.endsWith('.tmp')) rmSync(join(models, entry), { recursive: true, force: true });
}

/**
 * Fills a staging folder with a release (the `install` hook, or a built-in filler). A filler that reads
 * the whole blob returns the SHA-256 of the bytes it read, so what is installed is what was checked,
 * with no separate pass over the blob; a hook returns nothing and gets a blob checked beforehand.
 */
export type SlotFiller = (
  stagingDir: string,
  blobPath: string,
  target: VerifiedTarget,
) => Promise<string | void>;

/** The simulator's install: the verified blob becomes the slot's payload. */
export const copyPayload: SlotFiller = async (stagingDir, blobPath) => {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(blobPath, { highWaterMark: 1024 * 1024 }),
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    }),
    createWriteStream(join(stagingDir, PAYLOAD_FILE), { flush: true }),
  );
  return hash.digest('hex');
};

/**
 * Install method `archive`: the verified blob is a tar of the release's files (for example a `health`
 * script), unpacked into the slot. Only regular files and folders inside the slot are written.
 */
export const unpackArchive: SlotFiller = async (stagingDir, blobPath) => {
  const hash = createHash('sha256');
  await extractTar(blobPath, stagingDir, (chunk) => hash.update(chunk));
  return hash.digest('hex');
};

/** The slot filler for a target's install method (`copy` unless HQ said otherwise). */
export function fillerFor(target: VerifiedTarget): SlotFiller {
  return target.install.method === 'archive' ? unpackArchive : copyPayload;
}

/** Builds the slot in a staging folder, fsyncs it and renames it into place. */
export async function installIntoSlot(
  stateDir: string,
  slot: SlotName,
  blobPath: string,
  target: VerifiedTarget,
  fill: SlotFiller = copyPayload,
): Promise<void> {
  const staging = join(stateDir, 'slots', `.${slot}.staging`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const seen = await fill(staging, blobPath, target);
    if (typeof seen === 'string' && seen !== target.sha256)
      throw new DeckhandError(
        'hash_mismatch',
        `The stored copy of ${target.name} is damaged; the install was abandoned. Upload it again.`,
      );
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  writeFileAtomic(join(staging, 'release.json'), `${JSON.stringify(target, null, 2)}\n`, 0o644);
  fsyncDir(staging);
  const dir = slotDir(stateDir, slot);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  fsyncDir(join(stateDir, 'slots'));
}

/** One installed model. */
export interface InstalledModel {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

interface ModelsManifest {
  readonly models?: InstalledModel[];
  /** What each model replaced, so a failed model can be rolled back without a reboot. */
  readonly previous?: Record<string, InstalledModel>;
}

function readManifest(stateDir: string): ModelsManifest {
  return (
    (readJsonIfExists(join(stateDir, 'models', 'current', 'manifest.json')) as ModelsManifest | undefined) ??
    {}
  );
}

/** The models the current generation holds. */
export function currentModels(stateDir: string): InstalledModel[] {
  return readManifest(stateDir).models ?? [];
}

/** Path of an installed model's file. */
export function modelFile(stateDir: string, model: InstalledModel): string {
  return join(stateDir, 'models', 'store', model.sha256, 'model');
}

/** Installs a model: builds a new generation with it and swaps `models/current` to it atomically. */
export function installModel(stateDir: string, blobPath: string, target: VerifiedTarget): InstalledModel[] {
  const models = join(stateDir, 'models');
  const store = join(models, 'store', target.sha256);
  storeModel(models, store, blobPath);
  const manifest = readManifest(stateDir);
  const replaced = manifest.models?.find((m) => m.name === target.name);
  const previous = { ...manifest.previous };
  if (replaced !== undefined && replaced.sha256 !== target.sha256) previous[target.name] = replaced;
  const list = [
    ...(manifest.models ?? []).filter((m) => m.name !== target.name),
    { name: target.name, version: target.version, sha256: target.sha256 },
  ];
  switchGeneration(stateDir, list, previous);
  return list;
}

/**
 * Puts back the model that `name` replaced (or removes `name` when it replaced nothing); returns
 * the model now in place, or null.
 */
export function restoreModel(stateDir: string, name: string): InstalledModel | null {
  const manifest = readManifest(stateDir);
  const previous = { ...manifest.previous };
  const back = previous[name];
  delete previous[name];
  const list = [...(manifest.models ?? []).filter((m) => m.name !== name), ...(back ? [back] : [])];
  switchGeneration(stateDir, list, previous);
  return back ?? null;
}

function storeModel(models: string, store: string, blobPath: string): void {
  if (!existsSync(join(store, 'model'))) {
    mkdirSync(join(models, 'store'), { recursive: true });
    const staging = `${store}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    copyFileSync(blobPath, join(staging, 'model'));
    syncFile(join(staging, 'model'));
    rmSync(store, { recursive: true, force: true });
    renameSync(staging, store);
    fsyncDir(join(models, 'store'));
  }
}

function switchGeneration(
  stateDir: string,
  unsorted: readonly InstalledModel[],
  previous: Readonly<Record<string, InstalledModel>>,
): void {
  const models = join(stateDir, 'models');
  const list = [...unsorted].sort((x, y) => x.name.localeCompare(y.name));
  const manifest: ModelsManifest = { models: list, previous: { ...previous } };
  const generation = `gen-${createHash('sha256').update(JSON.stringify(manifest)).digest('hex').slice(0, 16)}`;
  const genDir = join(models, generation);
  if (!existsSync(genDir)) {
    const staging = `${genDir}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    for (const m of list) symlinkSync(join('..', 'store', m.sha256, 'model'), join(staging, m.name));
    writeFileAtomic(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
    renameSync(staging, genDir);
  }
  const link = join(models, 'current.tmp');
  rmSync(link, { force: true });
  symlinkSync(generation, link);
  renameSync(link, join(models, 'current'));
  fsyncDir(models);
  // Older generations are no longer reachable.
  const keep = readlinkSync(join(models, 'current'));
  for (const entry of readdirSync(models))
    if (entry.startsWith('gen-') && entry !== keep)
      rmSync(join(models, entry), { recursive: true, force: true });
}

function syncFile(path: string): void {
  // fsyncDir opens read-only and fsyncs, which works for regular files too.
  fsyncDir(path);
}
