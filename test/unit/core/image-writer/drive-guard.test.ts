import { describe, expect, it } from 'vitest';
import { checkTargetDisk, type DiskUsage } from '../../../../core/image-writer/drive-guard';

const usage: DiskUsage = {
  mounts: new Map([
    ['/', ['nvme0n1']],
    ['/boot/efi', ['nvme0n1']],
    ['/media/tech/STICK', ['sdc']],
    ['/data', ['sdd', 'sde']], // RAID 1 across two disks
  ]),
  swapDisks: ['sdf'],
  sourceDisks: ['sdg'],
};

describe('drive guard', () => {
  it.each([
    ['nvme0n1', 'system_drive'],
    ['sdf', 'system_drive'],
    ['sdg', 'source_drive'],
    ['sdc', 'drive_in_use'],
    ['sde', 'drive_in_use'],
  ])('refuses %s with %s', (disk, code) => {
    expect(() => checkTargetDisk(disk, `/dev/${disk}`, usage)).toThrow(expect.objectContaining({ code }));
  });

  it('lets an unused removable drive through', () => {
    expect(() => checkTargetDisk('sdb', '/dev/sdb', usage)).not.toThrow();
  });
});
