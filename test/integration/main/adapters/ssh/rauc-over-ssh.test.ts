/**
 * RAUC end to end over SSH: a real signed .raucb uploaded through the SSH session to Debian's
 * OpenSSH server, installed by Debian's rauc service (private D-Bus, noop bootloader, file-backed
 * slots), "rebooted" into the new slot, health-checked, committed; then a second release rolled back.
 * The slot files on the "device" are checked for the payload.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceUri } from '../../../../../core/device-uri/device-uri';
import type { MetadataSet } from '../../../../../core/protocol/messages';
import { ProgressMeter, type ProgressRecord } from '../../../../../core/progress/progress-meter';
import { DeckhandError } from '../../../../../core/result';
import { SshConnector } from '../../../../../main/adapters/ssh/ssh-connector';
import type { DeployTarget, DeviceSession } from '../../../../../main/services/deploy/device-session';
import { RAUC_LAB_COMPATIBLE, raucAvailable, startRaucLab, type RaucLab } from '../../../../support/rauc-lab';
import { sshdAvailable, startTestSshd, type DevSshd } from '../../../../support/sshd';

const present = sshdAvailable() && raucAvailable();
const PAYLOAD_BYTES = 256 * 1024;

function releaseTarget(bundle: string, version: string): DeployTarget {
  const bytes = readFileSync(bundle);
  return {
    path: `releases/edge-os/${version}/edge-os-${version}.raucb`,
    kind: 'release',
    name: 'edge-os',
    version,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    length: bytes.length,
    filePath: bundle,
    releaseCounter: 1,
    hardware: [RAUC_LAB_COMPATIBLE],
    install: { method: 'rauc', params: {} },
    custom: {},
    metadata: {} as MetadataSet,
  };
}

function slotHolds(file: string, payload: Buffer): boolean {
  return readFileSync(file).subarray(0, payload.length).equals(payload);
}

describe.skipIf(!present)('RAUC over SSH', { timeout: 120_000 }, () => {
  let work: string;
  let lab: RaucLab;
  let sshd: DevSshd;
  let connector: SshConnector;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-rauc-'));
    lab = await startRaucLab(join(work, 'device'));
    sshd = await startTestSshd({ dir: join(work, 'sshd'), setEnv: lab.env });
    connector = new SshConnector({
      privateKeyPath: sshd.clientKeyPath,
      // The noop bootloader never reboots: the lab's script restarts rauc from the other slot.
      session: { stagingDir: join(work, 'staging'), rebootCommand: lab.rebootCommand, waitForNewBoot: false },
    });
  });
  afterAll(async () => {
    await sshd?.stop();
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const open = async (): Promise<DeviceSession> => {
    const uri = parseDeviceUri(sshd.uri('rauc'));
    if (!uri.ok) throw new Error(uri.error.message);
    return connector.connect(uri.value, { pinnedFingerprint: sshd.hostFingerprint() });
  };

  it('installs, reboots into, checks and commits a signed bundle; then rolls a second one back', async () => {
    const payload = randomBytes(PAYLOAD_BYTES);
    const target = releaseTarget(lab.makeBundle('2.4.0', payload), '2.4.0');
    const signal = new AbortController().signal;
    const session = await open();
    try {
      expect([...session.capabilities].sort()).toEqual(
        ['commit', 'health', 'install', 'reboot', 'resume', 'rollback', 'upload', 'verify'].sort(),
      );
      const before = await session.snapshot();
      expect(before).toMatchObject({ hardware: RAUC_LAB_COMPATIBLE, releases: [], trial: false });

      await session.upload(
        target,
        new ProgressMeter({ jobId: 't', totalBytes: target.length, emit: () => undefined }),
        signal,
      );
      await session.verify(target);
      const records: ProgressRecord[] = [];
      const installMeter = new ProgressMeter({
        jobId: 't',
        totalBytes: target.length,
        emit: (r) => records.push(r),
        minIntervalMs: 0,
      });
      const installed = await session.install(target, installMeter, signal);
      expect(installed.detail).toContain('rootfs.1');
      // RAUC's own percentage lines drove the meter up to the whole length.
      expect(records.length).toBeGreaterThan(3);
      expect(installMeter.bytes).toBe(target.length);
      expect(slotHolds(lab.slotFile('B'), payload)).toBe(true);

      // Installed, not booted yet: not healthy, not committable.
      expect((await session.health(target)).healthy).toBe(false);
      await expect(session.commit(target)).rejects.toMatchObject({ code: 'invalid_state' });

      await session.reboot(signal);
      const health = await session.health(target);
      expect(health).toMatchObject({ healthy: true });
      expect(health.detail).toContain('rootfs.1');
      expect(await session.snapshot()).toMatchObject({
        trial: true,
        releases: [{ name: 'edge-os', version: '2.4.0', state: 'trial' }],
      });
      await session.commit(target);
      expect(await session.snapshot()).toMatchObject({
        trial: false,
        releases: [{ version: '2.4.0', state: 'active' }],
      });

      // A second release into slot A, booted, then rolled back: the device returns to 2.4.0 on B.
      const next = randomBytes(PAYLOAD_BYTES);
      const second = releaseTarget(lab.makeBundle('2.5.0', next), '2.5.0');
      await session.upload(
        second,
        new ProgressMeter({ jobId: 't', totalBytes: second.length, emit: () => undefined }),
        signal,
      );
      await session.install(
        second,
        new ProgressMeter({ jobId: 't', totalBytes: second.length, emit: () => undefined }),
        signal,
      );
      expect(slotHolds(lab.slotFile('A'), next)).toBe(true);
      await session.reboot(signal);
      expect((await session.snapshot()).trial).toBe(true);
      const rolledBack = await session.rollback('health check failed');
      expect(rolledBack.detail).toContain('previous slot');
      const after = await session.snapshot();
      expect(after.trial).toBe(false);
      expect(after.releases.find((item) => item.state === 'active')).toMatchObject({ version: '2.4.0' });
    } finally {
      await session.close();
    }
  });

  it('reports a bundle that RAUC refuses (not for this hardware) with a coded error', async () => {
    const target = releaseTarget(lab.makeBundle('9.9.9', randomBytes(4096), 'some-other-board'), '9.9.9');
    const session = await open();
    try {
      const signal = new AbortController().signal;
      await session.upload(
        target,
        new ProgressMeter({ jobId: 't', totalBytes: target.length, emit: () => undefined }),
        signal,
      );
      const error = await session
        .install(
          target,
          new ProgressMeter({ jobId: 't', totalBytes: target.length, emit: () => undefined }),
          signal,
        )
        .catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DeckhandError);
      expect((error as DeckhandError).code).toBe('incompatible_hardware');
    } finally {
      await session.close();
    }
  });
});
