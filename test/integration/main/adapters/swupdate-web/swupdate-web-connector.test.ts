/**
 * The swupdate:// adapter against Debian's real SWUpdate daemon with its web server on 127.0.0.1:
 * a CMS-signed .swu made in the test is POSTed to /upload and SWUpdate's verdict read from /ws.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceUri, type DeviceUri } from '../../../../../core/device-uri/device-uri';
import { ProgressMeter, type ProgressRecord } from '../../../../../core/progress/progress-meter';
import { SwupdateWebConnector } from '../../../../../main/adapters/swupdate-web/swupdate-web-connector';
import type { DeviceSession } from '../../../../../main/services/deploy/device-session';
import { hasCommand, requirePrerequisite } from '../../../../support/prerequisites';
import { createSwupdateLab, startSwupdateWeb, type SwupdateDaemon } from '../../../../support/swupdate-lab';
import { useTempDirs } from '../../../../support/temp-dir';
import { updaterTarget } from '../../../../support/updater-target';

const present = requirePrerequisite(
  hasCommand('swupdate') && hasCommand('cpio') && hasCommand('openssl'),
  'swupdate, cpio and openssl',
  'apt-get install swupdate cpio openssl',
);

function uriOf(port: number): DeviceUri {
  const parsed = parseDeviceUri(`swupdate://127.0.0.1:${port}`);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function meterFor(records: ProgressRecord[], totalBytes: number): ProgressMeter {
  return new ProgressMeter({
    jobId: 'test',
    totalBytes,
    emit: (record) => records.push(record),
    minIntervalMs: 0,
  });
}

describe.skipIf(!present)('swupdate:// web adapter (real swupdate -w)', () => {
  const tempDir = useTempDirs('deckhand-swupdate-web-');
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(
    options: { readonly postUpdateCommand?: string; readonly restartReboots?: boolean } = {},
  ) {
    const dir = tempDir();
    mkdirSync(join(dir, 'device'));
    const lab = createSwupdateLab(dir);
    const daemon: SwupdateDaemon = await startSwupdateWeb(lab, options);
    cleanups.push(() => daemon.stop());
    const connector = new SwupdateWebConnector({
      hardware: 'deckhand-lab',
      restartReboots: options.restartReboots ?? false,
      rebootTimeoutMs: 15_000,
    });
    const session: DeviceSession = await connector.connect(uriOf(daemon.port), { pinnedFingerprint: null });
    cleanups.push(() => session.close());
    return { dir, lab, daemon, session };
  }

  it('uploads a signed .swu with progress and reports SWUpdate installed it', async () => {
    const { dir, lab, session } = await setup();
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 1) payload[i] = (i * 31) & 0xff;
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = lab.buildSwu('edge-os', '3.1.0', [
      { filename: 'rootfs.img', content: payload, path: landed },
    ]);
    const target = updaterTarget(swu, 'edge-os', '3.1.0', 'swupdate');
    expect([...session.capabilities].sort()).toEqual(['install', 'upload']);
    expect(await session.snapshot()).toMatchObject({ hardware: 'deckhand-lab', releases: [] });

    const uploadRecords: ProgressRecord[] = [];
    const uploadMeter = meterFor(uploadRecords, target.length);
    await session.upload(target, uploadMeter, new AbortController().signal);
    expect(uploadMeter.bytes).toBe(target.length);

    const installRecords: ProgressRecord[] = [];
    const installMeter = meterFor(installRecords, target.length);
    const outcome = await session.install(target, installMeter, new AbortController().signal);
    expect(outcome.detail).toContain('edge-os 3.1.0');
    expect(installMeter.bytes).toBe(target.length);
    expect(readFileSync(landed).equals(payload)).toBe(true);
  });

  it('reports SWUpdate refusing a tampered image, with its reason, and nothing lands', async () => {
    const { dir, lab, session } = await setup();
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = lab.buildSwu(
      'edge-os',
      '3.2.0',
      [{ filename: 'rootfs.img', content: Buffer.alloc(200_000, 9), path: landed }],
      {
        tamper: true,
      },
    );
    const target = updaterTarget(swu, 'edge-os', '3.2.0', 'swupdate');
    const signal = new AbortController().signal;
    const failure = (async () => {
      await session.upload(target, meterFor([], target.length), signal);
      return session.install(target, meterFor([], target.length), signal);
    })();
    await expect(failure).rejects.toMatchObject({
      code: 'bad_target',
      message: expect.stringMatching(/HASH|hash|Checksum/),
    });
    expect(existsSync(landed)).toBe(false);
  });

  it('then installs the next good image on the same session', async () => {
    const { dir, lab, session } = await setup();
    const other = createSwupdateLab(tempDir());
    const landed = join(dir, 'device', 'app.bin');
    const foreign = other.buildSwu('app', '1.0.0', [
      { filename: 'app.bin', content: Buffer.alloc(1000, 1), path: landed },
    ]);
    const foreignTarget = updaterTarget(foreign, 'app', '1.0.0', 'swupdate');
    const signal = new AbortController().signal;
    await expect(
      (async () => {
        await session.upload(foreignTarget, meterFor([], foreignTarget.length), signal);
        return session.install(foreignTarget, meterFor([], foreignTarget.length), signal);
      })(),
    ).rejects.toMatchObject({ code: 'bad_signature' });
    expect(existsSync(landed)).toBe(false);

    const good = lab.buildSwu('app', '1.0.1', [
      { filename: 'app.bin', content: Buffer.alloc(1000, 2), path: landed },
    ]);
    const goodTarget = updaterTarget(good, 'app', '1.0.1', 'swupdate');
    await session.upload(goodTarget, meterFor([], goodTarget.length), signal);
    await session.install(goodTarget, meterFor([], goodTarget.length), signal);
    expect(readFileSync(landed)).toEqual(Buffer.alloc(1000, 2));
  });

  it('reboots through POST /restart, which runs the post-update command, and waits for the device', async () => {
    const marker = join(tempDir(), 'restarted');
    const { session } = await setup({ postUpdateCommand: `touch ${marker}`, restartReboots: true });
    expect(session.capabilities.has('reboot')).toBe(true);
    const outcome = await session.reboot(new AbortController().signal);
    expect(outcome.detail).toMatch(/answers again/);
    expect(existsSync(marker)).toBe(true);
  });

  it('says the device does not answer when nothing listens', async () => {
    const { daemon } = await setup();
    const port = daemon.port;
    await daemon.stop();
    await expect(
      new SwupdateWebConnector().connect(uriOf(port), { pinnedFingerprint: null, timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'link_lost',
    });
  });
});
