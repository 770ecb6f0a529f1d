/**
 * Issue #8's done criteria through the real `deckhand` bin: a RAUC bundle and a model (copy) carried
 * in HQ's signed bundle, deployed over SSH to Debian's OpenSSH server with Debian's rauc behind it;
 * then the device's host key changes and Deckhand refuses it.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRaucStatus } from '../../../../../main/adapters/ssh/rauc-status';
import { DevicePins } from '../../../../../main/services/devices/device-pins';
import { RAUC_LAB_COMPATIBLE, raucAvailable, startRaucLab, type RaucLab } from '../../../../support/rauc-lab';
import { runDeckhandAsync, type DeployResult } from '../../../../support/run-deckhand';
import { sshdAvailable, startTestSshd, type DevSshd } from '../../../../support/sshd';

const present = sshdAvailable() && raucAvailable();

describe.skipIf(!present)('deckhand deploy over SSH', { timeout: 180_000 }, () => {
  let work: string;
  let lab: RaucLab;
  let sshd: DevSshd;
  let env: NodeJS.ProcessEnv;
  const payload = randomBytes(192 * 1024);
  const cli = (...args: string[]) => runDeckhandAsync([...args, '--data-dir', join(work, 'laptop')], env);
  const lastJson = (stdout: string): DeployResult =>
    JSON.parse(stdout.trim().split('\n').at(-1) as string) as DeployResult;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-deploy-ssh-'));
    lab = await startRaucLab(join(work, 'device'));
    sshd = await startTestSshd({ dir: join(work, 'sshd'), setEnv: lab.env });
    env = {
      DECKHAND_SSH_KEY: sshd.clientKeyPath,
      SSH_AUTH_SOCK: '',
      DECKHAND_SSH_STAGING_DIR: join(work, 'staging'),
      // The noop bootloader cannot reboot: the lab restarts rauc from the other slot instead.
      DECKHAND_SSH_REBOOT_COMMAND: lab.rebootCommand,
      DECKHAND_SSH_REBOOT_WAIT: 'reconnect',
      // For the copy installer (RAUC reports its compatible string itself).
      DECKHAND_SSH_HARDWARE_COMMAND: `echo ${RAUC_LAB_COMPATIBLE}`,
    };
    const keys = join(work, 'keys');
    expect((await cli('keys', 'init', '--out', keys)).code).toBe(0);
    const raucb = lab.makeBundle('2.4.0', payload);
    const model = join(work, 'detector.onnx');
    writeFileSync(model, randomBytes(300 * 1024));
    const models = join(work, 'models');
    const created = await cli(
      'bundle',
      'create',
      '--keys',
      keys,
      '--out',
      join(work, 'fleet.dhb'),
      '--release',
      raucb,
      '--name',
      'edge-os',
      '--version',
      '2.4.0',
      '--hardware',
      RAUC_LAB_COMPATIBLE,
      '--release-counter',
      '1',
      '--model',
      model,
      '--name',
      'detector',
      '--version',
      '1.0',
      '--hardware',
      RAUC_LAB_COMPATIBLE,
      '--install',
      'copy',
      '--install-command',
      `mkdir -p ${models} && mv {file} ${models}/{name}-{version}.onnx`,
      '--install-health',
      `test -s ${models}/detector-1.0.onnx`,
    );
    expect(created.code, created.stderr).toBe(0);
    expect((await cli('trust', 'pin', join(keys, 'root.json'))).code).toBe(0);
    const imported = await cli('import', join(work, 'fleet.dhb'));
    expect(imported.code, imported.stderr).toBe(0);
    // Pinned as the Devices screen does after the technician compares the fingerprint
    // (`deckhand devices` pins agents only).
    const pins = new DevicePins(join(work, 'laptop'));
    for (const installer of ['rauc', 'copy'])
      pins.set(sshd.uri(installer), {
        fingerprint: sshd.hostFingerprint(),
        pinnedAt: new Date().toISOString(),
      });
  }, 180_000);

  afterAll(async () => {
    await sshd?.stop();
    await lab?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs a RAUC bundle: upload, rauc install, reboot, health, mark-good', async () => {
    const run = await cli('deploy', '--target', 'edge-os@2.4.0', '--device', sshd.uri('rauc'), '--json');
    const result = lastJson(run.stdout);
    expect(result.devices, run.stderr).toMatchObject([{ outcome: 'committed' }]);
    expect(readFileSync(lab.slotFile('B')).subarray(0, payload.length).equals(payload)).toBe(true);
    const status = parseRaucStatus(
      execFileSync('rauc', ['status', '--detailed', '--output-format=json'], {
        env: { ...process.env, ...lab.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    );
    expect(status.booted).toBe('B');
    expect(status.slots.find((slot) => slot.bootname === 'B')).toMatchObject({ bundleVersion: '2.4.0' });

    // Deploying it again finds it running, confirmed.
    const again = lastJson(
      (await cli('deploy', '--target', 'edge-os@2.4.0', '--device', sshd.uri('rauc'), '--json')).stdout,
    );
    expect(again.devices).toMatchObject([{ outcome: expect.stringMatching(/skipped|committed/) }]);
  });

  it('installs a model by copy and runs its health check', async () => {
    const run = await cli('deploy', '--target', 'detector@1.0', '--device', sshd.uri('copy'), '--json');
    expect(lastJson(run.stdout).devices, run.stderr).toMatchObject([{ outcome: 'committed' }]);
    expect(existsSync(join(work, 'models', 'detector-1.0.onnx'))).toBe(true);
  });

  it('refuses the device once its host key has changed', async () => {
    const pinned = sshd.hostFingerprint();
    await sshd.changeHostKey();
    const run = await cli('deploy', '--target', 'detector@1.0', '--device', sshd.uri('copy'), '--json');
    expect(run.code).toBe(1);
    const [device] = lastJson(run.stdout).devices;
    expect(device?.code).toBe('untrusted_device');
    expect(device?.reason).toContain(pinned);
    expect(device?.reason).toContain(sshd.hostFingerprint());
  });
});
