/**
 * Notices removable drives that hold a bundle: polls the usual mount points (Linux /media/$USER,
 * /run/media/$USER, /media, /mnt; macOS /Volumes; Windows drive letters D: to Z:) and reports
 * `.dhb` files found at a drive's top level or one folder down. Polling, because mount points are
 * not reliably watchable on every platform and a scan of a few folders every two seconds is cheap.
 */
import { readdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { BundleOffer } from '../ipc/bundle-types';

/** Folders whose subfolders are mount points, plus Windows drive roots. */
export function defaultDriveRoots(platform: NodeJS.Platform = process.platform): {
  parents: string[];
  volumes: string[];
} {
  switch (platform) {
    case 'darwin':
      return { parents: ['/Volumes'], volumes: [] };
    case 'win32':
      // C: is the system drive; removable drives get later letters.
      return { parents: [], volumes: 'DEFGHIJKLMNOPQRSTUVWXYZ'.split('').map((letter) => `${letter}:\\`) };
    default: {
      const user = safeUserName();
      return {
        parents: [...(user ? [`/media/${user}`, `/run/media/${user}`] : []), '/media', '/mnt'],
        volumes: [],
      };
    }
  }
}

/** Options of the watcher; tests pass temp folders as roots. */
export interface DriveWatcherOptions {
  /** Folders whose subfolders are volumes. */
  readonly parents: readonly string[];
  /** Folders that are volumes themselves. */
  readonly volumes?: readonly string[];
  readonly intervalMs?: number;
  readonly onChange: (offers: readonly BundleOffer[]) => void;
}

/** A running watcher. */
export interface DriveWatcher {
  /** The offers as of the last scan. */
  current(): readonly BundleOffer[];
  /** Scans now (also done on each tick). */
  scan(): readonly BundleOffer[];
  stop(): void;
}

/** Starts polling; the first scan runs immediately. */
export function startDriveWatcher(options: DriveWatcherOptions): DriveWatcher {
  let offers: readonly BundleOffer[] = [];
  let key = '';
  const scan = (): readonly BundleOffer[] => {
    const found = scanForBundles(options.parents, options.volumes ?? []);
    const nextKey = found.map((offer) => `${offer.path}:${offer.size}`).join('\n');
    offers = found;
    if (nextKey !== key) {
      key = nextKey;
      options.onChange(found);
    }
    return found;
  };
  scan();
  const timer = setInterval(scan, options.intervalMs ?? 2000);
  timer.unref();
  return { current: () => offers, scan, stop: () => clearInterval(timer) };
}

/** Finds `.dhb` files (and bundle folders named `*.dhb`) on the volumes under `parents` and in `volumes`. */
export function scanForBundles(parents: readonly string[], volumes: readonly string[]): BundleOffer[] {
  const seen = new Set<string>();
  const volumeList = [...volumes];
  for (const parent of parents) {
    for (const name of list(parent)) {
      const path = join(parent, name);
      if (isDirectory(path) && !seen.has(path)) volumeList.push(path);
      seen.add(path);
    }
  }
  const offers: BundleOffer[] = [];
  const found = new Set<string>();
  for (const volume of volumeList) {
    const visit = (dir: string, depth: number): void => {
      for (const name of list(dir).slice(0, 500)) {
        if (name.startsWith('.')) continue;
        const path = join(dir, name);
        if (name.toLowerCase().endsWith('.dhb')) {
          const size = sizeOf(path);
          if (size !== null && !found.has(path)) {
            found.add(path);
            offers.push({ path, fileName: name, volume, size });
          }
        } else if (depth < 1 && isDirectory(path)) visit(path, depth + 1);
      }
    };
    visit(volume, 0);
  }
  return offers.sort((a, b) => a.path.localeCompare(b.path));
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function sizeOf(path: string): number | null {
  try {
    const info = statSync(path);
    return info.isFile() ? info.size : info.isDirectory() ? 0 : null;
  } catch {
    return null;
  }
}

function safeUserName(): string | null {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? null;
  }
}
