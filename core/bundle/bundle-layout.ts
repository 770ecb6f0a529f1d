/**
 * The layout of a bundle (ARCHITECTURE.md, Bundles): `metadata/` holds the TUF metadata
 * (`N.root.json` chain, `timestamp.json`, `snapshot.json`, `targets.json`, delegated roles) and
 * `targets/` holds target files under consistent-snapshot names (`<dir>/<sha256>.<basename>`).
 * This file decides which archive entries are safe and what each one is, before anything is trusted.
 */
import { DeckhandError } from '../result';
import type { TarEntryType } from './tar-header';

/** Folder of the metadata inside a bundle. */
export const METADATA_DIR = 'metadata';
/** Folder of the target files inside a bundle. */
export const TARGETS_DIR = 'targets';
/** Largest metadata file accepted; real ones are a few kilobytes. */
export const MAX_METADATA_BYTES = 10 * 1024 * 1024;
/** Most entries a bundle may hold; guards against archives built to exhaust memory. */
export const MAX_ENTRIES = 100_000;
/** Longest root chain a bundle may carry. */
export const MAX_ROOT_CHAIN = 1024;

/** What an archive entry is, once its name and type passed the safety rules. */
export type BundleEntry =
  | { readonly kind: 'directory'; readonly name: string }
  | { readonly kind: 'metadata'; readonly name: string; readonly file: string }
  | { readonly kind: 'target'; readonly name: string; readonly targetName: string };

/**
 * Checks an entry's type and name and classifies it. Throws `unsafe_path` for links, devices,
 * FIFOs and names that could escape a folder (`..`, absolute, drive letters, backslashes), and
 * `not_a_bundle` for safe entries that have no place in a bundle.
 */
export function classifyEntry(rawName: string, type: TarEntryType): BundleEntry {
  const name = checkEntryName(rawName);
  switch (type) {
    case 'file':
      break;
    case 'directory':
      if (name === METADATA_DIR || name === TARGETS_DIR || name.startsWith(`${TARGETS_DIR}/`))
        return { kind: 'directory', name };
      throw unexpected(rawName);
    case 'hardlink':
    case 'symlink':
      throw unsafe(rawName, 'is a link; bundles may hold only plain files');
    case 'character-device':
    case 'block-device':
    case 'fifo':
      throw unsafe(rawName, 'is a device or a pipe; bundles may hold only plain files');
    case 'contiguous-file':
    case 'pax-header':
    case 'pax-global-header':
    case 'gnu-long-path':
    case 'gnu-long-link-path':
    case 'unknown':
      throw unsafe(rawName, 'is not a plain file');
  }
  if (name.startsWith(`${METADATA_DIR}/`)) {
    const file = name.slice(METADATA_DIR.length + 1);
    if (/^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}\.json$/.test(file)) return { kind: 'metadata', name, file };
    throw unexpected(rawName);
  }
  if (name.startsWith(`${TARGETS_DIR}/`)) {
    return { kind: 'target', name, targetName: name.slice(TARGETS_DIR.length + 1) };
  }
  throw unexpected(rawName);
}

/**
 * Normalises an entry name (a leading `./` and a trailing `/` are dropped) and refuses anything that
 * could resolve outside the folder it is extracted into, on any operating system.
 */
export function checkEntryName(rawName: string): string {
  let name = rawName;
  while (name.startsWith('./')) name = name.slice(2);
  if (name.endsWith('/')) name = name.slice(0, -1);
  if (name === '' || name.length > 4096) throw unsafe(rawName, 'has an empty or overlong name');
  if (name.includes('\0')) throw unsafe(rawName, 'has a NUL in its name');
  if (name.includes('\\')) throw unsafe(rawName, 'uses backslashes');
  if (name.startsWith('/')) throw unsafe(rawName, 'is an absolute path');
  if (/^[A-Za-z]:/.test(name)) throw unsafe(rawName, 'names a drive');
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.' || segment === '..')
      throw unsafe(rawName, 'climbs out of its folder');
    // Control characters and a trailing dot or space mean different files on different systems.
    if (hasControlCharacter(segment) || /[. ]$/.test(segment))
      throw unsafe(rawName, 'has characters some systems read differently');
  }
  return name;
}

/** A target path in TUF metadata: relative, `/`-separated, no `.` or `..` segments. */
export function isSafeTargetPath(path: string): boolean {
  try {
    return checkEntryName(path) === path;
  } catch {
    return false;
  }
}

/** The consistent-snapshot name of a target inside `targets/`: `dir/<sha256>.<basename>`. */
export function consistentTargetName(targetPath: string, sha256: string): string {
  const slash = targetPath.lastIndexOf('/');
  return slash === -1
    ? `${sha256}.${targetPath}`
    : `${targetPath.slice(0, slash)}/${sha256}.${targetPath.slice(slash + 1)}`;
}

/** The archive entry name of a target. */
export function targetEntryName(targetPath: string, sha256: string): string {
  return `${TARGETS_DIR}/${consistentTargetName(targetPath, sha256)}`;
}

function unsafe(name: string, why: string): DeckhandError {
  return new DeckhandError(
    'unsafe_path',
    `This bundle was refused: the entry "${printable(name)}" ${why}. A bundle from HQ never contains that; do not use this file and tell HQ.`,
    { entry: printable(name) },
  );
}

function unexpected(name: string): DeckhandError {
  return new DeckhandError(
    'not_a_bundle',
    `This file is not a Deckhand bundle: it contains "${printable(name)}", which has no place in a bundle. Ask HQ for the right file.`,
    { entry: printable(name) },
  );
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function printable(name: string): string {
  const shown = [...name].map((char) => (hasControlCharacter(char) ? '?' : char)).join('');
  return shown.length > 200 ? `${shown.slice(0, 200)}…` : shown;
}
