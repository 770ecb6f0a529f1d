/**
 * Where the Electron-ABI build of better-sqlite3 lives in an unpackaged checkout. node_modules keeps
 * the Node build (the tests and the CLI need it); scripts/prepare-electron-native.mjs builds this
 * second copy and prints the same path with `--print-path`, which a test compares with this one.
 */
import { join } from 'node:path';

/** The cache folder, relative to the project root. */
export const ELECTRON_NATIVE_CACHE = join('.cache', 'electron-native');

/** The better-sqlite3 addon built for the given Electron version, under the project root. */
export function electronNativeBindingPath(projectRoot: string, electronVersion: string): string {
  return join(
    projectRoot,
    ELECTRON_NATIVE_CACHE,
    electronVersion,
    'better-sqlite3',
    'build',
    'Release',
    'better_sqlite3.node',
  );
}
