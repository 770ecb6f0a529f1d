/**
 * The SSH adapter against Debian's real OpenSSH server on loopback: first contact reports the host
 * key fingerprint that ssh-keygen prints, a changed host key is refused, the copy installer delivers
 * a model and runs its command and health check, and an upload resumes from a partial file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeviceUri, type DeviceUri } from '../../../../../core/device-uri/device-uri';
import type { MetadataSet } from '../../../../../core/protocol/messages';
import { ProgressMeter } from '../../../../../core/progress/progress-meter';
import { DeckhandError } from '../../../../../core/result';
import { SshConnector } from '../../../../../main/adapters/ssh/ssh-connector';
import { remotePathFor } from '../../../../../main/adapters/ssh/ssh-session';
import type { DeployTarget } from '../../../../../main/services/deploy/device-session';
import { sshdAvailable, startTestSshd, type DevSshd } from '../../../../support/sshd';
import { useTempDirs } from '../../../../support/temp-dir';

const present = sshdAvailable();
const tempDir = useTempDirs('deckhand-ssh-');

/** A deploy target over a local file. */
function targetFor(
  filePath: string,
  params: Record<string, unknown>,
  kind: DeployTarget['kind'] = 'model',
): DeployTarget {
  const bytes = readFileSync(filePath);
  return {
    path: `models/detector/1.2.0/${filePath.split('/').at(-1)!}`,
    kind,
    name: 'detector',
    version: '1.2.0',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    length: bytes.length,
    filePath,
    releaseCounter: 0,
    hardware: [],
    install: { method: 'copy', params },
    custom: {},
    metadata: {} as MetadataSet,
  };
}

/** Compared by hash: vitest's deep equality on megabyte Buffers takes tens of seconds. */
function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function uriOf(text: string): DeviceUri {
  const parsed = parseDeviceUri(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function meterFor(target: DeployTarget): ProgressMeter {
  return new ProgressMeter({ jobId: 'test', totalBytes: target.length, emit: () => undefined });
}

// Generous timeouts: sshd forks and re-executes itself per connection, slow on a loaded machine.
describe.skipIf(!present)('SSH connector against OpenSSH', { timeout: 120_000 }, () => {
  let sshd: DevSshd;
  let work: string;
  let connector: SshConnector;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-sshd-'));
    sshd = await startTestSshd({ dir: join(work, 'sshd'), removeDir: false });
    connector = new SshConnector({
      privateKeyPath: sshd.clientKeyPath,
      // A small window (128 KiB) so the resume test needs only a 1 MiB file.
      session: { stagingDir: join(work, 'staging'), chunkSize: 16 * 1024, concurrency: 8 },
    });
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('reports the host key fingerprint on first contact, as ssh-keygen prints it', async () => {
    const session = await connector.connect(uriOf(sshd.uri('copy')), { pinnedFingerprint: null });
    try {
      expect(session.fingerprint).toBe(sshd.hostFingerprint());
      expect([...session.capabilities]).toEqual(
        expect.arrayContaining(['upload', 'resume', 'verify', 'install', 'health']),
      );
      expect(session.capabilities.has('rollback')).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('installs a model by copy: upload, remote sha256, the configured command, health', async () => {
    const local = join(tempDir(), 'detector.onnx');
    writeFileSync(local, randomBytes(2 * 1024 * 1024 + 17));
    const models = join(work, 'models');
    const target = targetFor(local, {
      command: `mkdir -p ${models} && mv {file} ${models}/{name}-{version}.onnx`,
      health: `test -s ${models}/detector-1.2.0.onnx`,
    });
    const session = await connector.connect(uriOf(sshd.uri('copy')), {
      pinnedFingerprint: sshd.hostFingerprint(),
    });
    try {
      const meter = meterFor(target);
      const signal = new AbortController().signal;
      await session.upload(target, meter, signal);
      expect(meter.bytes).toBe(target.length);
      expect((await session.verify(target)).detail).toContain('matches');
      expect(await session.health(target)).toMatchObject({ healthy: false });
      await session.install(target, meterFor(target), signal);
      expect(await session.health(target)).toMatchObject({ healthy: true });
    } finally {
      await session.close();
    }
    expect(sha256Of(join(models, 'detector-1.2.0.onnx'))).toBe(target.sha256);
  });

  it('resumes a partial upload below the partial size and rejects a copy whose hash differs', async () => {
    const size = 1024 * 1024;
    const local = join(tempDir(), 'big.bin');
    const bytes = randomBytes(size);
    writeFileSync(local, bytes);
    const target = targetFor(local, { dest: join(work, 'dest') });
    const remote = remotePathFor(join(work, 'staging'), target);
    mkdirSync(join(work, 'staging'), { recursive: true });
    // A partial file from a broken upload whose first MiB is wrong: a resume leaves it alone, so
    // the device's sha256 must catch it.
    const partial = Buffer.from(bytes.subarray(0, size - 64 * 1024));
    partial.fill(0, 0, 64 * 1024);
    writeFileSync(`${remote}.part`, partial);

    const session = await connector.connect(uriOf(sshd.uri('copy')), {
      pinnedFingerprint: sshd.hostFingerprint(),
    });
    try {
      const signal = new AbortController().signal;
      const error = await session.upload(target, meterFor(target), signal).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(DeckhandError);
      expect((error as DeckhandError).code).toBe('hash_mismatch');
      expect(existsSync(`${remote}.part`)).toBe(false);

      // A correct partial file: the resume completes it.
      writeFileSync(`${remote}.part`, bytes.subarray(0, size - 64 * 1024));
      await session.upload(target, meterFor(target), signal);
      expect(sha256Of(remote)).toBe(target.sha256);
      // Uploading again finds the finished file and sends nothing.
      const written = statSync(remote).mtimeMs;
      const again = meterFor(target);
      await session.upload(target, again, signal);
      expect(again.bytes).toBe(target.length);
      expect(statSync(remote).mtimeMs).toBe(written);
      expect(existsSync(`${remote}.part`)).toBe(false);
      await session.install(target, meterFor(target), signal);
      expect(sha256Of(join(work, 'dest', 'big.bin'))).toBe(target.sha256);

      // The staged copy is gone once it is in place; installing again changes nothing.
      expect(existsSync(remote)).toBe(false);
      await session.install(target, meterFor(target), signal);
    } finally {
      await session.close();
    }
  });

  it('reboots: waits until the device answers again with the same host key and a new boot id', async () => {
    const dir = join(work, 'reboot');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'boot_id'), 'boot-1\n');
    const rebooting = new SshConnector({
      privateKeyPath: sshd.clientKeyPath,
      session: {
        stagingDir: join(work, 'staging'),
        rebootCommand: `touch ${join(dir, 'requested')}`,
        bootIdCommand: `cat ${join(dir, 'boot_id')}`,
        rebootTimeoutMs: 60_000,
      },
    });
    // The "device": when asked to reboot, its SSH server goes away, the boot id changes, and the
    // server comes back on the same port with the same key (or, the second time, with a new key).
    const device = async (newKey: boolean): Promise<void> => {
      while (!existsSync(join(dir, 'requested'))) await new Promise((resolve) => setTimeout(resolve, 50));
      rmSync(join(dir, 'requested'));
      await sshd.halt();
      writeFileSync(join(dir, 'boot_id'), `boot-${Date.now()}\n`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (newKey) await sshd.changeHostKey();
      else await sshd.start();
    };
    const session = await rebooting.connect(uriOf(sshd.uri('rauc')), {
      pinnedFingerprint: sshd.hostFingerprint(),
    });
    try {
      const [outcome] = await Promise.all([session.reboot(new AbortController().signal), device(false)]);
      expect(outcome.detail).toMatch(/answered again after [\d.]+ s \(boot boot-\d+\)/);
      // The session goes on over the new connection.
      expect((await session.health(targetFor(`${sshd.clientKeyPath}.pub`, { health: 'true' }))).healthy).toBe(
        true,
      );

      const refused = Promise.all([session.reboot(new AbortController().signal), device(true)]);
      await expect(refused).rejects.toMatchObject({ code: 'untrusted_device' });
    } finally {
      await session.close();
    }
  });

  it('refuses a device whose host key changed, with both fingerprints in the warning', async () => {
    const pinned = sshd.hostFingerprint();
    await sshd.changeHostKey();
    expect(sshd.hostFingerprint()).not.toBe(pinned);
    const error = await connector
      .connect(uriOf(sshd.uri('copy')), { pinnedFingerprint: pinned })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeckhandError);
    expect((error as DeckhandError).code).toBe('untrusted_device');
    expect((error as DeckhandError).message).toContain(pinned);
    expect((error as DeckhandError).message).toContain(sshd.hostFingerprint());
    expect((error as DeckhandError).message).toMatch(/CHANGED/);
  });

  it('refuses a key the device does not authorise', async () => {
    const other = new SshConnector({ privateKeyPath: join(work, 'sshd', 'ssh_host_ed25519_key') });
    const error = await other
      .connect(uriOf(sshd.uri('copy')), { pinnedFingerprint: null })
      .catch((thrown: unknown) => thrown);
    expect((error as DeckhandError).code).toBe('unauthorized');
  });
});
