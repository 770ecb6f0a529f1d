import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  defaultDriveRoots,
  scanForBundles,
  startDriveWatcher,
} from '../../../../main/adapters/drive-watcher';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-drives-');

describe('drive watcher', () => {
  it('finds .dhb files at a drive top level and one folder down, not deeper', () => {
    const media = tempDir();
    mkdirSync(join(media, 'STICK', 'hq', 'deep'), { recursive: true });
    writeFileSync(join(media, 'STICK', 'site-42.dhb'), 'x');
    writeFileSync(join(media, 'STICK', 'hq', 'site-43.DHB'), 'xy');
    writeFileSync(join(media, 'STICK', 'hq', 'deep', 'too-deep.dhb'), 'x');
    writeFileSync(join(media, 'STICK', 'notes.txt'), 'x');
    const offers = scanForBundles([media], []);
    expect(offers.map((o) => [o.fileName, o.volume, o.size])).toEqual([
      ['site-43.DHB', join(media, 'STICK'), 2],
      ['site-42.dhb', join(media, 'STICK'), 1],
    ]);
  });

  it('reports changes when a drive appears and disappears', async () => {
    const media = tempDir();
    const onChange = vi.fn();
    const watcher = startDriveWatcher({ parents: [media], intervalMs: 20, onChange });
    expect(onChange).not.toHaveBeenCalled();
    mkdirSync(join(media, 'USB'));
    writeFileSync(join(media, 'USB', 'b.dhb'), 'x');
    await vi.waitFor(() => expect(watcher.current()).toHaveLength(1));
    expect(onChange).toHaveBeenLastCalledWith([expect.objectContaining({ fileName: 'b.dhb' })]);
    rmSync(join(media, 'USB'), { recursive: true });
    await vi.waitFor(() => expect(onChange).toHaveBeenLastCalledWith([]));
    watcher.stop();
  });

  it('knows the usual mount points of each platform', () => {
    expect(defaultDriveRoots('darwin').parents).toEqual(['/Volumes']);
    expect(defaultDriveRoots('win32').volumes).toContain('E:\\');
    expect(defaultDriveRoots('linux').parents).toEqual(expect.arrayContaining(['/media', '/mnt']));
  });
});
