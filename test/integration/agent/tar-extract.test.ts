import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractTar } from '../../../agent/tar-extract';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs();

/** A release folder: a payload, a nested file and an executable health script. */
function makeRelease(dir: string): void {
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'rootfs.img'), Buffer.alloc(3 * 1024 * 1024 + 17, 7));
  writeFileSync(join(dir, 'lib', 'app.conf'), 'port = 8080\n');
  writeFileSync(join(dir, 'health'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
}

describe('release archive extraction (install method archive)', () => {
  it('unpacks what `tar -C dir .` makes (GNU tar, ./ names), keeps the executable bit, shows every byte', async () => {
    const dir = tempDir();
    makeRelease(join(dir, 'src'));
    const archive = join(dir, 'release.tar');
    execFileSync('tar', ['-cf', archive, '-C', join(dir, 'src'), '.']);
    const out = join(dir, 'out');
    mkdirSync(out);
    const hash = createHash('sha256');
    await extractTar(archive, out, (chunk) => hash.update(chunk));
    expect(hash.digest('hex')).toBe(createHash('sha256').update(readFileSync(archive)).digest('hex'));
    expect(readFileSync(join(out, 'rootfs.img')).equals(readFileSync(join(dir, 'src', 'rootfs.img')))).toBe(
      true,
    );
    expect(readFileSync(join(out, 'lib', 'app.conf'), 'utf8')).toBe('port = 8080\n');
    expect(statSync(join(out, 'health')).mode & 0o111).not.toBe(0);
  });

  it('refuses a link and a name that climbs out of the slot', async () => {
    const dir = tempDir();
    makeRelease(join(dir, 'src'));
    symlinkSync('/etc/passwd', join(dir, 'src', 'passwd'));
    const withLink = join(dir, 'link.tar');
    execFileSync('tar', ['-cf', withLink, '-C', join(dir, 'src'), '.']);
    mkdirSync(join(dir, 'out1'));
    await expect(extractTar(withLink, join(dir, 'out1'))).rejects.toMatchObject({ code: 'unsafe_path' });

    const climbing = join(dir, 'climb.tar');
    execFileSync('tar', ['-cf', climbing, '-P', '--transform', 's,^,../,', '-C', join(dir, 'src'), 'health']);
    mkdirSync(join(dir, 'out2'));
    await expect(extractTar(climbing, join(dir, 'out2'))).rejects.toMatchObject({ code: 'unsafe_path' });
  });
});
