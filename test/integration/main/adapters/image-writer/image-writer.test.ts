import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTargetDisk } from '../../../../../core/image-writer/drive-guard';
import { readDiskUsage, disksOfFile } from '../../../../../main/adapters/image-writer/drive-usage';
import { writeImage } from '../../../../../main/adapters/image-writer/image-writer';
import { attachLoop, canUseLoopDevices } from '../../../../support/loop-device';
import { hasCommand, requirePrerequisite } from '../../../../support/prerequisites';
import { seededRandom } from '../../../../support/seeded-random';
import { useTempDirs } from '../../../../support/temp-dir';
import { canMount, mountTmpfs } from '../../../../support/tmpfs';

const tempDir = useTempDirs('deckhand-image-writer-');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** An image with data, runs of zeros and an odd-sized tail, like a real disk image. */
function makeImage(bytes: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const image = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += 64 * 1024) {
    if (random() < 0.4) continue; // empty file-system space
    for (let i = at; i + 4 <= Math.min(bytes, at + 64 * 1024); i += 4)
      image.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  }
  return image;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A bmaptool 2.0 block map of the non-zero 4 KiB blocks. */
function makeBmap(image: Buffer): string {
  const blockSize = 4096;
  const blocks = Math.ceil(image.length / blockSize);
  const mapped: [number, number][] = [];
  for (let b = 0; b < blocks; b += 1) {
    const block = image.subarray(b * blockSize, (b + 1) * blockSize);
    if (!block.some((x) => x !== 0)) continue;
    const last = mapped[mapped.length - 1];
    if (last && last[1] === b - 1) last[1] = b;
    else mapped.push([b, b]);
  }
  const ranges = mapped
    .map(([first, last]) => {
      const sum = sha(image.subarray(first * blockSize, Math.min(image.length, (last + 1) * blockSize)));
      return `    <Range chksum="${sum}"> ${first === last ? first : `${first}-${last}`} </Range>`;
    })
    .join('\n');
  const xml = `<?xml version="1.0" ?>
<bmap version="2.0">
    <ImageSize> ${image.length} </ImageSize>
    <BlockSize> ${blockSize} </BlockSize>
    <BlocksCount> ${blocks} </BlocksCount>
    <MappedBlocksCount> ${mapped.reduce((n, [a, b]) => n + b - a + 1, 0)} </MappedBlocksCount>
    <ChecksumType> sha256 </ChecksumType>
    <BmapFileChecksum> ${'0'.repeat(64)} </BmapFileChecksum>
    <BlockMap>
${ranges}
    </BlockMap>
</bmap>
`;
  return xml.replace('0'.repeat(64), sha(Buffer.from(xml)));
}

describe('image writer on files', () => {
  it('writes a raw image with O_DIRECT and verifies it by reading back', async () => {
    const dir = tempDir();
    const image = makeImage(9 * 1024 * 1024 + 1234, 1);
    writeFileSync(join(dir, 'os.img'), image);
    const outcome = await writeImage({ source: join(dir, 'os.img'), targets: [join(dir, 'drive.bin')] });
    const [result] = outcome.results;
    expect(result).toMatchObject({ ok: true, verified: true, direct: true, sha256: sha(image), error: null });
    expect(readFileSync(join(dir, 'drive.bin')).equals(image)).toBe(true);
  });

  const tools = requirePrerequisite(
    hasCommand('xz') && hasCommand('zstd') && hasCommand('zip'),
    'xz, zstd and zip',
    'apt-get install xz-utils zstd zip',
  );
  it.skipIf(!tools)('decompresses .gz, .xz, .zst and .zip as a stream and verifies each', async () => {
    const dir = tempDir();
    const image = makeImage(1536 * 1024 + 512, 2);
    writeFileSync(join(dir, 'os.img'), image);
    writeFileSync(join(dir, 'os.img.gz'), gzipSync(image));
    execFileSync('xz', ['-k', '-0', '-T1', join(dir, 'os.img')]);
    execFileSync('zstd', ['-q', '-k', join(dir, 'os.img')]);
    execFileSync('zip', ['-q', '-j', join(dir, 'os.zip'), join(dir, 'os.img')]);
    for (const name of ['os.img.gz', 'os.img.xz', 'os.img.zst', 'os.zip']) {
      const target = join(dir, `${name}.out`);
      const outcome = await writeImage({ source: join(dir, name), targets: [target] });
      expect(outcome.results[0], name).toMatchObject({ ok: true, verified: true });
      expect(readFileSync(target).equals(image), name).toBe(true);
    }
  });

  it('reports a damaged archive as truncated', async () => {
    const dir = tempDir();
    const gz = gzipSync(makeImage(2 * 1024 * 1024, 3));
    writeFileSync(join(dir, 'cut.img.gz'), gz.subarray(0, gz.length / 2));
    const outcome = await writeImage({ source: join(dir, 'cut.img.gz'), targets: [join(dir, 'out.bin')] });
    expect(outcome.results[0]).toMatchObject({ ok: false, error: { code: 'truncated' } });
  });

  it('writes only the ranges of a block map, and refuses an image that does not match it', async () => {
    const dir = tempDir();
    const image = makeImage(8 * 1024 * 1024 + 100, 4);
    writeFileSync(join(dir, 'os.img'), image);
    writeFileSync(join(dir, 'os.bmap'), makeBmap(image));
    // The target holds old data: unmapped blocks keep it, mapped blocks get the image.
    writeFileSync(join(dir, 'drive.bin'), Buffer.alloc(image.length, 0xaa));
    const outcome = await writeImage({
      source: join(dir, 'os.img'),
      bmap: join(dir, 'os.bmap'),
      targets: [join(dir, 'drive.bin')],
    });
    expect(outcome.results[0]).toMatchObject({ ok: true, verified: true });
    expect(outcome.mappedBytes).toBeLessThan(image.length * 0.8);
    const written = readFileSync(join(dir, 'drive.bin'));
    for (let b = 0; b < image.length; b += 4096) {
      const want = image.subarray(b, b + 4096);
      const got = written.subarray(b, b + 4096);
      if (want.some((x) => x !== 0)) expect(got.equals(want)).toBe(true);
      else expect(got.every((x) => x === 0xaa)).toBe(true);
    }
    const other = makeImage(image.length, 5);
    writeFileSync(join(dir, 'other.img'), other);
    const wrong = await writeImage({
      source: join(dir, 'other.img'),
      bmap: join(dir, 'os.bmap'),
      targets: [join(dir, 'x.bin')],
    });
    expect(wrong.results[0]).toMatchObject({ ok: false, error: { code: 'hash_mismatch' } });
  });

  it('writes several targets at once with one result each, refusing the source file as a target', async () => {
    const dir = tempDir();
    const image = makeImage(5 * 1024 * 1024, 6);
    writeFileSync(join(dir, 'os.img'), image);
    mkdirSync(join(dir, 'sub'));
    const outcome = await writeImage({
      source: join(dir, 'os.img'),
      targets: [join(dir, 'a.bin'), join(dir, 'os.img'), join(dir, 'sub', 'b.bin')],
    });
    expect(outcome.results.map((r) => [r.ok, r.error?.code ?? null])).toEqual([
      [true, null],
      [false, 'source_drive'],
      [true, null],
    ]);
    expect(readFileSync(join(dir, 'sub', 'b.bin')).equals(image)).toBe(true);
    // A drive that is gone is reported as such, not created as a file under /dev.
    const gone = await writeImage({ source: join(dir, 'os.img'), targets: ['/dev/deckhand-no-such-drive'] });
    expect(gone.results[0]?.error?.code).toBe('unplugged');
    expect(statSync(join(dir, 'os.img')).size).toBe(image.length);
  });

  it('refuses the drive holding this system (checked before anything is opened)', () => {
    const usage = readDiskUsage([]);
    const rootDisks = disksOfFile('/');
    expect(rootDisks.length).toBeGreaterThan(0);
    for (const disk of rootDisks)
      expect(() => checkTargetDisk(disk, `/dev/${disk}`, usage)).toThrow(
        expect.objectContaining({ code: 'system_drive' }),
      );
  });

  const mounts = requirePrerequisite(canMount(), 'root and mount', 'run as root');
  it.skipIf(!mounts)('falls back to buffered I/O on ramfs, which refuses O_DIRECT, and says so', async () => {
    const dir = tempDir();
    const ramfs = join(tempDir(), 'ramfs');
    mkdirSync(ramfs);
    execFileSync('mount', ['-t', 'ramfs', 'ramfs', ramfs]);
    cleanups.push(() => execFileSync('umount', ['-l', ramfs]));
    const image = makeImage(3 * 1024 * 1024 + 7, 7);
    writeFileSync(join(dir, 'os.img'), image);
    const outcome = await writeImage({
      source: join(dir, 'os.img'),
      targets: [join(ramfs, 'drive.bin')],
    });
    expect(outcome.results[0]).toMatchObject({ ok: true, verified: true, direct: false });
    expect(outcome.results[0]?.note).toContain('O_DIRECT');
  });
});

const loops = requirePrerequisite(
  canUseLoopDevices() && canMount(),
  'root, losetup and mount',
  'run as root with loop devices',
);
describe.skipIf(!loops)('image writer on loop block devices', () => {
  it('writes two drives at once; a drive whose medium goes away mid-write fails `unplugged`, the other completes', async () => {
    const dir = tempDir();
    const image = makeImage(12 * 1024 * 1024, 8);
    writeFileSync(join(dir, 'os.img'), image);
    const good = attachLoop(join(dir, 'good.disk'), 16 * 1024 * 1024);
    cleanups.push(good.detach);
    // The second drive's storage gives out after 4 MiB, as a card reader losing its card does.
    const small = mountTmpfs(4 * 1024);
    cleanups.push(() => small.unmount());
    const failing = attachLoop(join(small.path, 'failing.disk'), 16 * 1024 * 1024);
    cleanups.push(failing.detach);
    const outcome = await writeImage({ source: join(dir, 'os.img'), targets: [good.path, failing.path] });
    expect(outcome.results.map((r) => [r.target, r.ok, r.error?.code ?? null])).toEqual([
      [good.path, true, null],
      [failing.path, false, 'unplugged'],
    ]);
    expect(outcome.results[0]).toMatchObject({ verified: true, direct: true });
    const back = Buffer.alloc(image.length);
    const fd = (await import('node:fs')).openSync(good.path, 'r');
    (await import('node:fs')).readSync(fd, back, 0, back.length, 0);
    (await import('node:fs')).closeSync(fd);
    expect(back.equals(image)).toBe(true);
  });

  it('refuses a drive used as swap, a mounted drive and the drive holding the image', async () => {
    const dir = tempDir();
    const image = makeImage(1024 * 1024, 9);
    writeFileSync(join(dir, 'os.img'), image);
    const mounted = attachLoop(join(dir, 'mounted.disk'), 8 * 1024 * 1024);
    cleanups.push(mounted.detach);
    execFileSync('mkfs.ext4', ['-q', '-F', mounted.path], { stdio: 'ignore' });
    const mountPoint = join(dir, 'mnt');
    mkdirSync(mountPoint);
    execFileSync('mount', [mounted.path, mountPoint]);
    cleanups.push(() => execFileSync('umount', ['-l', mountPoint]));
    writeFileSync(join(mountPoint, 'os.img'), image);
    const spare = attachLoop(join(dir, 'spare.disk'), 8 * 1024 * 1024);
    cleanups.push(spare.detach);

    const fromStick = await writeImage({
      source: join(mountPoint, 'os.img'),
      targets: [mounted.path, spare.path],
    });
    expect(fromStick.results.map((r) => r.error?.code ?? null)).toEqual(['source_drive', null]);
    const fromLaptop = await writeImage({ source: join(dir, 'os.img'), targets: [mounted.path] });
    expect(fromLaptop.results[0]?.error?.code).toBe('drive_in_use');

    let swapOn = false;
    try {
      execFileSync('mkswap', [spare.path], { stdio: 'ignore' });
      execFileSync('swapon', [spare.path], { stdio: 'ignore' });
      swapOn = true;
    } catch {
      console.warn('skipping the swap case: swapon is not permitted here');
    }
    if (swapOn) {
      cleanups.push(() => execFileSync('swapoff', [spare.path]));
      const onSwap = await writeImage({ source: join(dir, 'os.img'), targets: [spare.path] });
      expect(onSwap.results[0]?.error?.code).toBe('system_drive');
    }
  });
});
