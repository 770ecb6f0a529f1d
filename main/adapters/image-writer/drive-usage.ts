/**
 * Reads what the kernel says about storage (/proc/self/mountinfo, /proc/swaps, /sys/dev/block) to
 * tell which whole disks hold mounts, swap and the image file, and which disk a target path is.
 * Partitions lead to their disk; device-mapper, LUKS and RAID devices lead through `slaves/` to the
 * disks below them. The decision itself is core/image-writer/drive-guard.ts.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DiskUsage } from '../../../core/image-writer/drive-guard';

/** Where the kernel's views live (tests may point them elsewhere). */
export interface KernelPaths {
  readonly sys: string;
  readonly proc: string;
}

const DEFAULT_PATHS: KernelPaths = { sys: '/sys', proc: '/proc' };

function devNumber(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** The whole disks under the block device with this `major:minor` (empty when it is no block device). */
export function disksOfDevNumber(number: string, paths: KernelPaths = DEFAULT_PATHS): string[] {
  const link = join(paths.sys, 'dev', 'block', number);
  if (!existsSync(link)) return [];
  return disksOfSysPath(realpathSync(link), new Set());
}

function disksOfSysPath(sysPath: string, seen: Set<string>): string[] {
  if (seen.has(sysPath)) return [];
  seen.add(sysPath);
  if (existsSync(join(sysPath, 'partition'))) return disksOfSysPath(dirname(sysPath), seen);
  const slavesDir = join(sysPath, 'slaves');
  const slaves = existsSync(slavesDir) ? readdirSync(slavesDir) : [];
  if (slaves.length === 0) return [basename(sysPath)];
  return [...new Set(slaves.flatMap((slave) => disksOfSysPath(realpathSync(join(slavesDir, slave)), seen)))];
}

/** The whole disks a file lives on (through its file system's device). */
export function disksOfFile(path: string, paths: KernelPaths = DEFAULT_PATHS): string[] {
  return disksOfDevNumber(devNumber(statSync(path, { bigint: true }).dev), paths);
}

/** The whole disks a block device node is (or is part of); null for anything that is not a block device. */
export function disksOfBlockDevice(path: string, paths: KernelPaths = DEFAULT_PATHS): string[] | null {
  const info = statSync(path, { bigint: true });
  if (!info.isBlockDevice()) return null;
  return disksOfDevNumber(devNumber(info.rdev), paths);
}

/** `major:minor` of a block device node. */
export function blockDevNumber(path: string): string {
  return devNumber(statSync(path, { bigint: true }).rdev);
}

/** Gathers mounts, swap and the source's disks. */
export function readDiskUsage(sources: readonly string[], paths: KernelPaths = DEFAULT_PATHS): DiskUsage {
  const mounts = new Map<string, string[]>();
  for (const line of readFileSync(join(paths.proc, 'self', 'mountinfo'), 'utf8').split('\n')) {
    // id parent major:minor root mountpoint options [optional…] - fstype source superoptions
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    const mountPoint = unescape(fields[4]!);
    const dash = fields.indexOf('-');
    const source = dash > 0 ? unescape(fields[dash + 2] ?? '') : '';
    let disks = disksOfDevNumber(fields[2]!, paths);
    // btrfs and others report an anonymous device number; their source names the device.
    if (disks.length === 0 && source.startsWith('/dev/') && existsSync(source))
      disks = disksOfBlockDevice(source, paths) ?? [];
    if (disks.length > 0) mounts.set(mountPoint, [...(mounts.get(mountPoint) ?? []), ...disks]);
  }
  const swapDisks: string[] = [];
  const swaps = existsSync(join(paths.proc, 'swaps')) ? readFileSync(join(paths.proc, 'swaps'), 'utf8') : '';
  for (const line of swaps.split('\n').slice(1)) {
    const name = line.split(/\s+/)[0];
    if (!name || !existsSync(unescape(name))) continue;
    const file = unescape(name);
    swapDisks.push(...(disksOfBlockDevice(file, paths) ?? disksOfFile(file, paths)));
  }
  const sourceDisks = sources.flatMap((source) => disksOfFile(source, paths));
  return { mounts, swapDisks, sourceDisks };
}

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_all, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
