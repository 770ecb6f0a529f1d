/**
 * The SWUpdate installer against Debian's real swupdate: a CMS-signed .swu made in the test is
 * installed with `swupdate -i` (certificate checked with -k) and the file lands on the "device".
 * The "device" is this machine, reached through a local RemoteShell (test/support/local-shell.ts)
 * for the installer's cases and through Debian's sshd (SshConnector, SFTP upload) end to end.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeviceUri } from '../../../../../core/device-uri/device-uri';
import { ProgressMeter } from '../../../../../core/progress/progress-meter';
import { SshConnector } from '../../../../../main/adapters/ssh/ssh-connector';
import { createSwupdateInstaller } from '../../../../../main/adapters/ssh/swupdate-installer';
import { createLocalShell } from '../../../../support/local-shell';
import { hasCommand, requirePrerequisite } from '../../../../support/prerequisites';
import { sshdAvailable, startTestSshd } from '../../../../support/sshd';
import { createSwupdateLab, LAB_HW } from '../../../../support/swupdate-lab';
import { useTempDirs } from '../../../../support/temp-dir';
import { updaterTarget } from '../../../../support/updater-target';

const present = requirePrerequisite(
  hasCommand('swupdate') && hasCommand('cpio') && hasCommand('openssl'),
  'swupdate, cpio and openssl',
  'apt-get install swupdate cpio openssl',
);

describe.skipIf(!present)('swupdate installer (real swupdate)', () => {
  const tempDir = useTempDirs('deckhand-swupdate-');

  function setup() {
    const dir = tempDir();
    // The device's filesystem: SWUpdate's rawfile handler writes into folders that exist.
    mkdirSync(join(dir, 'device'));
    const lab = createSwupdateLab(dir);
    const installer = createSwupdateInstaller({
      settings: { tmpDir: lab.tmpDir, stateFile: join(dir, 'state', 'swupdate.json'), hwRevision: LAB_HW },
    });
    return { dir, lab, installer, shell: createLocalShell() };
  }

  it('installs a signed .swu, reports progress and records what it installed', async () => {
    const { dir, lab, installer, shell } = setup();
    const payload = Buffer.from('edge-os 2.4.0 root filesystem\n'.repeat(4000));
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = lab.buildSwu('edge-os', '2.4.0', [
      { filename: 'rootfs.img', content: payload, path: landed },
    ]);
    const target = updaterTarget(swu, 'edge-os', '2.4.0', 'swupdate', {
      key: lab.certPath,
      hwRevision: LAB_HW,
    });
    expect(await installer.snapshot(shell)).toEqual({ releases: [], trial: false, hardware: 'deckhand-lab' });

    const percents: number[] = [];
    const outcome = await installer.install(
      shell,
      swu,
      target,
      (p) => percents.push(p),
      new AbortController().signal,
    );

    expect(outcome.detail).toContain('edge-os 2.4.0');
    expect(readFileSync(landed).equals(payload)).toBe(true);
    expect(percents.at(-1)).toBe(100);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.length).toBeGreaterThan(2);
    const snapshot = await installer.snapshot(shell);
    expect(snapshot.releases).toEqual([
      { name: 'edge-os', version: '2.4.0', sha256: target.sha256, state: 'active' },
    ]);
    expect(installer.capabilities).toEqual(['install', 'reboot', 'health']);
  });

  it('refuses an image whose content was changed after signing, and installs nothing', async () => {
    const { dir, lab, installer, shell } = setup();
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = lab.buildSwu(
      'edge-os',
      '2.5.0',
      [{ filename: 'rootfs.img', content: Buffer.alloc(50_000, 7), path: landed }],
      {
        tamper: true,
      },
    );
    const target = updaterTarget(swu, 'edge-os', '2.5.0', 'swupdate', {
      key: lab.certPath,
      hwRevision: LAB_HW,
    });
    await expect(
      installer.install(shell, swu, target, () => {}, new AbortController().signal),
    ).rejects.toMatchObject({
      code: 'bad_target',
    });
    expect((await installer.snapshot(shell)).releases).toEqual([]);
  });

  it('refuses an image signed by another certificate', async () => {
    const { dir, lab, installer, shell } = setup();
    const other = createSwupdateLab(tempDir());
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = other.buildSwu('edge-os', '2.6.0', [
      { filename: 'rootfs.img', content: Buffer.alloc(10_000, 1), path: landed },
    ]);
    const target = updaterTarget(swu, 'edge-os', '2.6.0', 'swupdate', {
      key: lab.certPath,
      hwRevision: LAB_HW,
    });
    const failure = installer.install(shell, swu, target, () => {}, new AbortController().signal);
    await expect(failure).rejects.toMatchObject({ code: 'bad_signature' });
    expect(existsSync(landed)).toBe(false);
  });

  it('refuses an image made for other hardware', async () => {
    const { dir, lab, installer, shell } = setup();
    const landed = join(dir, 'device', 'rootfs.img');
    const swu = lab.buildSwu(
      'edge-os',
      '2.7.0',
      [{ filename: 'rootfs.img', content: Buffer.alloc(10_000, 2), path: landed }],
      {
        hardware: '9.9',
      },
    );
    const target = updaterTarget(swu, 'edge-os', '2.7.0', 'swupdate', {
      key: lab.certPath,
      hwRevision: LAB_HW,
    });
    await expect(
      installer.install(shell, swu, target, () => {}, new AbortController().signal),
    ).rejects.toMatchObject({
      code: 'incompatible_hardware',
    });
    expect(existsSync(landed)).toBe(false);
  });

  it('says so when the device has no swupdate', async () => {
    const { dir, shell } = setup();
    const missing = createSwupdateInstaller({
      settings: { binary: 'swupdate-not-here', stateFile: join(dir, 's.json') },
    });
    const target = updaterTarget(__filename, 'edge-os', '1.0.0', 'swupdate');
    await expect(
      missing.install(shell, '/nonexistent.swu', target, () => {}, new AbortController().signal),
    ).rejects.toMatchObject({
      code: 'not_supported',
    });
  });
});

describe.skipIf(!present || !sshdAvailable())('swupdate over SSH (real sshd and swupdate)', () => {
  const tempDir = useTempDirs('deckhand-swupdate-ssh-');

  it('uploads a signed .swu over SFTP, verifies it on the device and SWUpdate installs it', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'device'));
    const lab = createSwupdateLab(dir);
    const sshd = await startTestSshd({ dir: join(dir, 'sshd') });
    try {
      const connector = new SshConnector({
        privateKeyPath: sshd.clientKeyPath,
        session: { stagingDir: join(dir, 'staging') },
        installers: { swupdate: { tmpDir: lab.tmpDir, stateFile: join(dir, 'state', 'swupdate.json') } },
      });
      const parsed = parseDeviceUri(sshd.uri('swupdate'));
      if (!parsed.ok) throw new Error(parsed.error.message);
      const session = await connector.connect(parsed.value, { pinnedFingerprint: null });
      try {
        const payload = Buffer.from('edge-os 4.0.0\n'.repeat(10_000));
        const landed = join(dir, 'device', 'rootfs.img');
        const swu = lab.buildSwu('edge-os', '4.0.0', [
          { filename: 'rootfs.img', content: payload, path: landed },
        ]);
        const target = updaterTarget(swu, 'edge-os', '4.0.0', 'swupdate', {
          key: lab.certPath,
          hwRevision: LAB_HW,
        });
        const meter = (): ProgressMeter =>
          new ProgressMeter({ jobId: 't', totalBytes: target.length, emit: () => {} });
        const signal = new AbortController().signal;
        await session.upload(target, meter(), signal);
        await session.verify(target);
        const outcome = await session.install(target, meter(), signal);
        expect(outcome.detail).toContain('edge-os 4.0.0');
        expect(readFileSync(landed).equals(payload)).toBe(true);
        expect((await session.snapshot()).releases).toEqual([
          { name: 'edge-os', version: '4.0.0', sha256: target.sha256, state: 'active' },
        ]);
      } finally {
        await session.close();
      }
    } finally {
      await sshd.stop();
    }
  }, 120_000);
});
