/**
 * Where Deckhand keeps its data. The app, the CLI and the browser host share one folder so that a
 * log written by one is the log the others see: `--data-dir` wins, then `DECKHAND_DATA_DIR`, then
 * the platform default (the same folder Electron reports as `userData` for an app named Deckhand).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The product folder name, matching package.json `productName` (Electron derives userData from it). */
export const APP_FOLDER_NAME = 'Deckhand';

export interface DataDirSources {
  readonly flag?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Electron's `app.getPath('userData')`, when running inside Electron. */
  readonly electronUserData?: string | undefined;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
}

/** Resolves the data folder from flag, environment and platform defaults. */
export function resolveDataDir(sources: DataDirSources = {}): string {
  const env = sources.env ?? process.env;
  if (sources.flag) return resolve(sources.flag);
  if (env['DECKHAND_DATA_DIR']) return resolve(env['DECKHAND_DATA_DIR']);
  if (sources.electronUserData) return sources.electronUserData;
  return defaultUserDataDir(sources.platform ?? process.platform, sources.home ?? homedir(), env);
}

/** The folder Electron would use as userData for Deckhand on this platform. */
export function defaultUserDataDir(platform: NodeJS.Platform, home: string, env: NodeJS.ProcessEnv): string {
  switch (platform) {
    case 'win32':
      return join(env['APPDATA'] ?? join(home, 'AppData', 'Roaming'), APP_FOLDER_NAME);
    case 'darwin':
      return join(home, 'Library', 'Application Support', APP_FOLDER_NAME);
    default:
      return join(env['XDG_CONFIG_HOME'] ?? join(home, '.config'), APP_FOLDER_NAME);
  }
}
