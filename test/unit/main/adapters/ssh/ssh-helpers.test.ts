/** The SSH adapter's pure helpers: quoting, command templates, fingerprints, resume offsets, staged paths. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { MetadataSet } from '../../../../../core/protocol/messages';
import { copyCommand, expandCommand } from '../../../../../main/adapters/ssh/copy-installer';
import { shellQuote } from '../../../../../main/adapters/ssh/remote-shell';
import { resumeOffset } from '../../../../../main/adapters/ssh/sftp-upload';
import { hostKeyFingerprint } from '../../../../../main/adapters/ssh/ssh-connection';
import { sshSessionSettingsFromEnv } from '../../../../../main/adapters/ssh/ssh-connector';
import { remotePathFor } from '../../../../../main/adapters/ssh/ssh-session';
import type { DeployTarget } from '../../../../../main/services/deploy/device-session';

const target = (params: Record<string, unknown>): DeployTarget => ({
  path: 'models/detector/1.2.0/detector.onnx',
  kind: 'model',
  name: 'detector',
  version: '1.2.0',
  sha256: 'ab'.repeat(32),
  length: 10,
  filePath: '/dev/null',
  releaseCounter: 0,
  hardware: [],
  install: { method: 'copy', params },
  custom: {},
  metadata: {} as MetadataSet,
});

describe('shellQuote', () => {
  it('leaves plain words alone and quotes everything else so sh reads it back unchanged', () => {
    expect(shellQuote('/var/tmp/deckhand/a.raucb')).toBe('/var/tmp/deckhand/a.raucb');
    for (const word of ["it's", 'a b', '$(reboot)', '`id`', 'x;rm -rf /', '', '"q"'])
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' })).toBe(word);
  });
});

describe('copy commands', () => {
  it('fills placeholders with quoted values', () => {
    expect(expandCommand('mv {file} /models/{name}-{version}.onnx', '/tmp/a b', target({}))).toBe(
      "mv '/tmp/a b' /models/detector-1.2.0.onnx",
    );
  });

  it('builds an atomic copy into dest, and refuses a target with neither command nor dest', () => {
    expect(copyCommand('/s/f', target({ dest: '/opt/models' }))).toContain(
      'mv -f /opt/models/.detector.onnx.deckhand-tmp /opt/models/detector.onnx',
    );
    expect(() => copyCommand('/s/f', target({}))).toThrow(expect.objectContaining({ code: 'bad_target' }));
    expect(() => copyCommand('/s/f', target({ dest: 'relative/dir' }))).toThrow(
      expect.objectContaining({ code: 'bad_target' }),
    );
  });
});

describe('hostKeyFingerprint', () => {
  it('matches what ssh-keygen -lf prints for the same key', () => {
    const line = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test';
    const blob = Buffer.from(line.split(' ')[1]!, 'base64');
    const printed = execFileSync('sh', ['-c', `printf '%s\\n' '${line}' | ssh-keygen -lf -`], {
      encoding: 'utf8',
    });
    expect(printed).toContain(hostKeyFingerprint(blob));
    expect(hostKeyFingerprint(blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('resume offsets and staged paths', () => {
  it('restarts one window below the partial size, never below zero', () => {
    expect(resumeOffset(10 * 1024 * 1024, 4 * 1024 * 1024)).toBe(6 * 1024 * 1024);
    expect(resumeOffset(1000, 4096)).toBe(0);
  });

  it('keeps versions apart by hash and the name safe for a shell', () => {
    expect(
      remotePathFor('/var/tmp/deckhand/', { path: 'releases/os/1/os 1.raucb', sha256: 'cd'.repeat(32) }),
    ).toBe(`/var/tmp/deckhand/${'cd'.repeat(8)}-os_1.raucb`);
  });
});

describe('sshSessionSettingsFromEnv', () => {
  it('reads only what is set, and refuses values it cannot use', () => {
    expect(sshSessionSettingsFromEnv({})).toEqual({});
    expect(
      sshSessionSettingsFromEnv({
        DECKHAND_SSH_STAGING_DIR: '/data/deckhand',
        DECKHAND_SSH_REBOOT_COMMAND: 'systemctl reboot',
        DECKHAND_SSH_REBOOT_WAIT: 'reconnect',
        DECKHAND_SSH_REBOOT_TIMEOUT_S: '600',
        DECKHAND_SSH_HEALTH_COMMAND: '',
      }),
    ).toEqual({
      stagingDir: '/data/deckhand',
      rebootCommand: 'systemctl reboot',
      waitForNewBoot: false,
      rebootTimeoutMs: 600_000,
    });
    expect(() => sshSessionSettingsFromEnv({ DECKHAND_SSH_REBOOT_WAIT: 'sometimes' })).toThrow(
      expect.objectContaining({ code: 'invalid_input' }),
    );
  });
});
