import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FrameWriter } from '../../../../../core/image-writer/helper-channel';
import type { ProgressRecord } from '../../../../../core/progress/progress-meter';
import {
  PrivilegedWriter,
  defaultElevation,
  defaultHelperCommand,
} from '../../../../../main/adapters/image-writer/privileged-launcher';
import { HELPER_MAGIC } from '../../../../../main/adapters/image-writer/privileged-writer';
import { seededRandom } from '../../../../support/seeded-random';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-helper-');

function image(bytes: number): Buffer {
  const random = seededRandom(42);
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
}

describe('privileged image-writer helper', () => {
  it('writes a compressed image through the authenticated pipe channel and exits when the app closes it', async () => {
    const dir = tempDir();
    const raw = image(3 * 1024 * 1024 + 99);
    writeFileSync(join(dir, 'os.img.gz'), gzipSync(raw));
    // The elevation prefix is configurable: here `env` stands in for pkexec/sudo (the tests run as root).
    const helper = await PrivilegedWriter.launch({ elevate: ['env', 'DECKHAND_HELPER_TEST=1'] });
    const records: ProgressRecord[] = [];
    const outcome = await helper.write(
      { source: join(dir, 'os.img.gz'), targets: [join(dir, 'a.bin'), join(dir, 'b.bin')] },
      (record) => records.push(record),
    );
    expect(outcome.format).toBe('gz');
    expect(outcome.results.map((r) => [r.ok, r.verified])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(readFileSync(join(dir, 'b.bin')).equals(raw)).toBe(true);
    expect(records.map((r) => r.step)).toContain('verifying');
    expect(await helper.close()).toBe(0);
  });

  it('stops at the first frame that is not authentic, without doing anything', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'os.img'), image(1024 * 1024));
    const [command, ...args] = defaultHelperCommand();
    const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const key = Buffer.alloc(32, 1);
    const forged = new FrameWriter(Buffer.alloc(32, 2)).frame({
      type: 'write',
      id: 'x',
      request: { source: join(dir, 'os.img'), targets: [join(dir, 'out.bin')] },
    });
    child.stdin.write(Buffer.concat([HELPER_MAGIC, key, forged]));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(3);
    expect(() => readFileSync(join(dir, 'out.bin'))).toThrow();
  });

  it('exits when the app goes away (its stdin closes) even before any request', async () => {
    const [command, ...args] = defaultHelperCommand();
    const child = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
  });

  it('uses pkexec or sudo unless told otherwise', () => {
    expect(defaultElevation({ DECKHAND_ELEVATE: 'pkexec' })).toEqual(['pkexec']);
    expect(defaultElevation({ DECKHAND_ELEVATE: 'sudo' })).toEqual(['sudo', '-n']);
    expect(defaultElevation({ DECKHAND_ELEVATE: 'none' })).toEqual([]);
  });
});
