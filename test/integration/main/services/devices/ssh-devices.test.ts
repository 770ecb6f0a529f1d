import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceConnectors } from '../../../../../main/adapters/device-connectors';
import { openBackend, type Backend } from '../../../../../main/services/backend';
import { sshdAvailable, startTestSshd, type DevSshd } from '../../../../support/sshd';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-ssh-devices-');
const present = sshdAvailable();

/** A device reached over SSH on the Devices list: its host key is learned, confirmed, then enforced. */
describe.skipIf(!present)('ssh:// devices in the device list (real sshd)', { timeout: 60_000 }, () => {
  let sshd: DevSshd;
  let backend: Backend;

  beforeAll(async () => {
    const dir = tempDir();
    sshd = await startTestSshd({ dir: join(dir, 'sshd') });
    const env = {
      DECKHAND_SSH_KEY: sshd.clientKeyPath,
      DECKHAND_SSH_STAGING_DIR: join(dir, 'staging'),
      DECKHAND_SSH_HARDWARE_COMMAND: 'echo cm4-gateway',
    };
    const dataDir = join(dir, 'laptop');
    backend = openBackend({
      dataDir,
      host: 'cli',
      version: 'test',
      deviceConnectors: createDeviceConnectors({ clientVersion: 'test', dataDir, env }),
    });
  });

  afterAll(async () => {
    backend?.close();
    await sshd?.stop();
  });

  it('learns the host key at first contact, trusts it only when confirmed, and refuses a changed key', async () => {
    const uri = sshd.uri('copy');
    const added = await backend.devices.add(uri);
    expect(added).toMatchObject({
      link: 'ssh',
      state: 'unconfirmed',
      seenFingerprint: sshd.hostFingerprint(),
    });
    expect(added.identity).toBeNull();

    const trusted = await backend.devices.confirmFingerprint(uri, sshd.hostFingerprint());
    expect(trusted).toMatchObject({
      state: 'online',
      pinnedFingerprint: sshd.hostFingerprint(),
      identity: { hardware: 'cm4-gateway' },
    });
    expect(trusted.installed).toEqual([]);

    const before = sshd.hostFingerprint();
    await sshd.changeHostKey();
    const [after] = (await backend.devices.refresh(uri)).devices.filter((d) => d.uri === added.uri);
    expect(after).toMatchObject({
      state: 'error',
      error: { code: 'untrusted_device' },
      pinnedFingerprint: before,
    });
    await expect(backend.deploy.engine.connect(added.uri)).rejects.toMatchObject({
      code: 'untrusted_device',
    });
  });
});
