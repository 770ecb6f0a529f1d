/**
 * Loop block devices for the image-writer tests: a file attached as /dev/loopN is a real block
 * device (O_DIRECT, sysfs size, mounts, swap). Needs root and losetup; elsewhere the caller skips
 * through requirePrerequisite.
 */
import { execFileSync } from 'node:child_process';
import { truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** True when this process can attach loop devices. */
export function canUseLoopDevices(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(tmpdir(), `deckhand-loop-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    truncateSync(probe, 1024 * 1024);
    const device = execFileSync('losetup', ['-f', '--show', probe], { encoding: 'utf8' }).trim();
    execFileSync('losetup', ['-d', device]);
    return true;
  } catch {
    return false;
  } finally {
    try {
      unlinkSync(probe);
    } catch {
      // already gone
    }
  }
}

/** Attaches `file` (made `bytes` long) as a loop device; returns its path and how to detach it. */
export function attachLoop(file: string, bytes: number): { path: string; detach: () => void } {
  writeFileSync(file, '', { flag: 'a' });
  truncateSync(file, bytes);
  const path = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
  return {
    path,
    detach: () => {
      try {
        execFileSync('losetup', ['-d', path], { stdio: 'ignore' });
      } catch {
        // already detached
      }
    },
  };
}
