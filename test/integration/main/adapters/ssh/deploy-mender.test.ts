/**
 * Issue #8's done criterion for Mender through the real `deckhand` bin: a Mender artifact carried in
 * HQ's signed bundle is deployed over SSH (Debian's OpenSSH) to Debian's mender-client in standalone
 * mode, which installs it through its update module; Deckhand commits it, or rolls it back when the
 * release's health check fails. The "device" is test/support/mender-lab.ts: sshd's PATH finds a
 * `mender` wrapper that runs the real client in a private mount namespace, so the machine's
 * /etc/mender and /var/lib/mender stay untouched.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevicePins } from '../../../../../main/services/devices/device-pins';
import {
  createMenderLab,
  MENDER_LAB_DEVICE_TYPE,
  menderLabAvailable,
  type MenderLab,
} from '../../../../support/mender-lab';
import { requirePrerequisite } from '../../../../support/prerequisites';
import { runDeckhandAsync, type DeployResult } from '../../../../support/run-deckhand';
import { sshdAvailable, startTestSshd, type DevSshd } from '../../../../support/sshd';

const present =
  requirePrerequisite(
    menderLabAvailable(),
    'mender-client, mender-artifact and root (unshare -m)',
    'apt-get install mender-client mender-artifact',
  ) && sshdAvailable();

describe.skipIf(!present)('deckhand deploy over SSH to Mender', { timeout: 180_000 }, () => {
  let work: string;
  let lab: MenderLab;
  let sshd: DevSshd;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => runDeckhandAsync([...args, '--data-dir', join(work, 'laptop')], env);
  const lastJson = (stdout: string): DeployResult =>
    JSON.parse(stdout.trim().split('\n').at(-1) as string) as DeployResult;
  const appConf = (): string => readFileSync(join(lab.deviceDir, 'app.conf'), 'utf8');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-deploy-mender-'));
    lab = createMenderLab(join(work, 'device-root'));
    writeFileSync(join(lab.deviceDir, 'app.conf'), 'factory settings\n');
    sshd = await startTestSshd({ dir: join(work, 'sshd'), setEnv: lab.sshEnv });
    env = {
      DECKHAND_SSH_KEY: sshd.clientKeyPath,
      SSH_AUTH_SOCK: '',
      DECKHAND_SSH_STAGING_DIR: join(work, 'staging'),
      // An update-module artifact needs no reboot; the lab cannot reboot anyway.
      DECKHAND_SSH_REBOOT_COMMAND: 'true',
      DECKHAND_SSH_REBOOT_WAIT: 'reconnect',
    };
    const keys = join(work, 'keys');
    expect((await cli('keys', 'init', '--out', keys)).code).toBe(0);
    const good = lab.buildArtifact('edge-app-2.4.0', 'app.conf', 'release 2.4.0\n');
    const bad = lab.buildArtifact('edge-app-2.5.0', 'app.conf', 'release 2.5.0 (broken)\n');
    const release = (file: string, version: string, counter: string, extra: string[] = []) => [
      '--release',
      file,
      '--name',
      'edge-app',
      '--version',
      version,
      '--hardware',
      MENDER_LAB_DEVICE_TYPE,
      '--release-counter',
      counter,
      '--install',
      'mender',
      ...extra,
    ];
    const created = await cli(
      'bundle',
      'create',
      '--keys',
      keys,
      '--out',
      join(work, 'fleet.dhb'),
      ...release(good, '2.4.0', '1'),
      ...release(bad, '2.5.0', '2', ['--install-health', 'false']),
    );
    expect(created.code, created.stderr).toBe(0);
    expect((await cli('trust', 'pin', join(keys, 'root.json'))).code).toBe(0);
    const imported = await cli('import', join(work, 'fleet.dhb'));
    expect(imported.code, imported.stderr).toBe(0);
    // Pinned as the Devices screen does after the technician compares the fingerprint.
    new DevicePins(join(work, 'laptop')).set(sshd.uri('mender'), {
      fingerprint: sshd.hostFingerprint(),
      pinnedAt: new Date().toISOString(),
    });
  }, 180_000);

  afterAll(async () => {
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs a Mender artifact with mender install, then commits it', async () => {
    const run = await cli('deploy', '--target', 'edge-app@2.4.0', '--device', sshd.uri('mender'), '--json');
    expect(lastJson(run.stdout).devices, run.stderr + run.stdout).toMatchObject([
      { outcome: 'committed', code: null },
    ]);
    expect(appConf()).toBe('release 2.4.0\n');
    const shown = await lab.shell.exec('mender show-artifact 2>/dev/null');
    expect(shown.stdout.trim()).toBe('edge-app-2.4.0');
  });

  it('rolls a release back with mender rollback when its health check fails', async () => {
    const run = await cli('deploy', '--target', 'edge-app@2.5.0', '--device', sshd.uri('mender'), '--json');
    const [device] = lastJson(run.stdout).devices;
    expect(device, run.stderr + run.stdout).toMatchObject({ outcome: 'rolled_back' });
    expect(appConf()).toBe('release 2.4.0\n');
    const shown = await lab.shell.exec('mender show-artifact 2>/dev/null');
    expect(shown.stdout.trim()).toBe('edge-app-2.4.0');
  });
});
