/**
 * Which drives the image writer must never write: the drive holding the running system (/, /boot,
 * swap), any drive with a mounted file system, and the drive the image is read from. Pure: the
 * adapter gathers which whole disks each mount, swap and source lives on (following partitions,
 * device-mapper and RAID holders through sysfs) and asks here.
 */
import { DeckhandError } from '../result';

/** Where the system's storage lives, as whole-disk names (e.g. `sda`, `nvme0n1`). */
export interface DiskUsage {
  /** Mount point → the whole disks under it. */
  readonly mounts: ReadonlyMap<string, readonly string[]>;
  /** Whole disks holding active swap. */
  readonly swapDisks: readonly string[];
  /** Whole disks holding the image file (and bmap). */
  readonly sourceDisks: readonly string[];
}

const SYSTEM_MOUNTS = ['/', '/boot', '/boot/efi', '/efi', '/usr', '/var'];

/** Throws system_drive, source_drive or drive_in_use when `disk` must not be written. */
export function checkTargetDisk(disk: string, device: string, usage: DiskUsage): void {
  if (usage.sourceDisks.includes(disk))
    throw new DeckhandError(
      'source_drive',
      `${device} holds the image being written. Copy the image to another drive (for example the laptop's disk) and try again.`,
    );
  for (const mountPoint of SYSTEM_MOUNTS) {
    if (usage.mounts.get(mountPoint)?.includes(disk))
      throw new DeckhandError(
        'system_drive',
        `${device} holds this computer's system (${mountPoint}). Deckhand never writes the system drive; pick the removable drive instead.`,
      );
  }
  if (usage.swapDisks.includes(disk))
    throw new DeckhandError(
      'system_drive',
      `${device} holds this computer's swap space. Deckhand never writes a system drive; pick the removable drive instead.`,
    );
  const mounted = [...usage.mounts].filter(([, disks]) => disks.includes(disk)).map(([point]) => point);
  if (mounted.length > 0)
    throw new DeckhandError(
      'drive_in_use',
      `${device} is mounted at ${mounted.slice(0, 3).join(', ')}. Eject or unmount it first, then write again.`,
    );
}
