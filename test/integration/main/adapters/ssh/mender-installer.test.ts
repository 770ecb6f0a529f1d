/**
 * The Mender installer against Debian's real mender-client 3.4 in standalone mode: artifacts made
 * with mender-artifact are installed with `mender install`, then committed or rolled back, and the
 * file is checked on the "device" (test/support/mender-lab.ts: a private mount namespace, so the
 * machine's /etc/mender and /var/lib/mender are never touched). The device is reached through a
 * local RemoteShell; the SSH path itself is covered by the SSH adapter's tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMenderInstaller } from '../../../../../main/adapters/ssh/mender-installer';
import { createMenderLab, menderLabAvailable } from '../../../../support/mender-lab';
import { requirePrerequisite } from '../../../../support/prerequisites';
import { useTempDirs } from '../../../../support/temp-dir';
import { updaterTarget } from '../../../../support/updater-target';

const present = requirePrerequisite(
  menderLabAvailable(),
  'mender-client, mender-artifact and root (unshare -m)',
  'apt-get install mender-client mender-artifact, run as root',
);

describe.skipIf(!present)('mender installer (real mender-client, standalone)', () => {
  const tempDir = useTempDirs('deckhand-mender-');
  const signal = new AbortController().signal;

  function setup() {
    const lab = createMenderLab(tempDir());
    // The factory release the device came with.
    const config = join(lab.deviceDir, 'app.conf');
    writeFileSync(config, 'factory settings\n');
    return { lab, installer: createMenderInstaller({}), config };
  }

  it('installs an artifact with progress, holds it on trial, and commits it', async () => {
    const { lab, installer, config } = setup();
    expect(await installer.snapshot(lab.shell)).toEqual({
      releases: [{ name: 'factory', version: '1.0', sha256: null, state: 'active' }],
      trial: false,
      hardware: 'deckhand-lab',
    });
    const artifact = lab.buildArtifact('edge-app-2.4.0', 'app.conf', 'release 2.4.0\n');
    const target = updaterTarget(artifact, 'edge-app', '2.4.0', 'mender');

    const percents: number[] = [];
    const installed = await installer.install(lab.shell, artifact, target, (p) => percents.push(p), signal);
    expect(installed.detail).toMatch(/waits for commit/);
    expect(readFileSync(config, 'utf8')).toBe('release 2.4.0\n');
    expect(percents.at(-1)).toBe(100);
    expect(percents.length).toBeGreaterThan(2);
    expect(await installer.snapshot(lab.shell)).toEqual({
      releases: [
        { name: 'factory', version: '1.0', sha256: null, state: 'active' },
        { name: 'edge-app', version: '2.4.0', sha256: null, state: 'trial' },
      ],
      trial: true,
      hardware: 'deckhand-lab',
    });

    const committed = await installer.commit(lab.shell, target);
    expect(committed.detail).toMatch(/committed edge-app 2.4.0/);
    expect(await installer.snapshot(lab.shell)).toEqual({
      releases: [{ name: 'edge-app', version: '2.4.0', sha256: null, state: 'active' }],
      trial: false,
      hardware: 'deckhand-lab',
    });
    // A repeated commit (the engine retrying after a lost link) finds the work done.
    expect((await installer.commit(lab.shell, target)).detail).toMatch(/runs edge-app-2.4.0/);
    expect(readFileSync(config, 'utf8')).toBe('release 2.4.0\n');
  });

  it('rolls back to the file the device had', async () => {
    const { lab, installer, config } = setup();
    const artifact = lab.buildArtifact('edge-app-2.5.0', 'app.conf', 'release 2.5.0\n');
    const target = updaterTarget(artifact, 'edge-app', '2.5.0', 'mender');
    await installer.install(lab.shell, artifact, target, () => {}, signal);
    expect(readFileSync(config, 'utf8')).toBe('release 2.5.0\n');

    const rolledBack = await installer.rollback(lab.shell, 'health check failed');
    expect(rolledBack.detail).toMatch(/rolled back \(health check failed\); it runs factory-1.0/);
    expect(readFileSync(config, 'utf8')).toBe('factory settings\n');
    expect(await installer.snapshot(lab.shell)).toEqual({
      releases: [{ name: 'factory', version: '1.0', sha256: null, state: 'active' }],
      trial: false,
      hardware: 'deckhand-lab',
    });
  });

  it('reports Mender refusing an artifact for another device type, and nothing changes', async () => {
    const { lab, installer, config } = setup();
    const artifact = lab.buildArtifact('other-1.0', 'app.conf', 'wrong device\n', {
      deviceType: 'other-board',
    });
    const target = updaterTarget(artifact, 'other', '1.0', 'mender');
    await expect(installer.install(lab.shell, artifact, target, () => {}, signal)).rejects.toMatchObject({
      code: 'incompatible_hardware',
    });
    expect(readFileSync(config, 'utf8')).toBe('factory settings\n');
    expect((await installer.snapshot(lab.shell)).trial).toBe(false);
  });
});
