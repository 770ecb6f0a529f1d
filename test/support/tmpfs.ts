/**
 * Small tmpfs mounts for tests that need a real full disk (ENOSPC) or a real read-only file system.
 * Needs root (CI runs as root); elsewhere the caller skips through requirePrerequisite.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when this process may mount file systems. */
export function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'deckhand-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A mounted tmpfs of `sizeKb`; call `remountReadOnly` or `unmount`. */
export interface TmpfsMount {
  readonly path: string;
  remountReadOnly(): void;
  unmount(): void;
}

/** Mounts a fresh tmpfs. */
export function mountTmpfs(sizeKb: number): TmpfsMount {
  const path = mkdtempSync(join(tmpdir(), 'deckhand-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', path]);
  return {
    path,
    remountReadOnly: () => execFileSync('mount', ['-o', 'remount,ro', path]),
    unmount: () => {
      execFileSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}
