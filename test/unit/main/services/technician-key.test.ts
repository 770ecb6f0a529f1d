import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signValue, verifyValue } from '../../../../core/sync/signing';
import { createSafeStorageProtector } from '../../../../main/electron/safe-storage-protector';
import { createPassphraseProtector, TechnicianKey } from '../../../../main/services/technician-key';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-key-');
const protector = createPassphraseProtector('s3cret');

describe('TechnicianKey', () => {
  it('creates one key at first use, stores it encrypted, and unlocks it again with the passphrase', () => {
    const dir = tempDir();
    const key = new TechnicianKey(dir, protector);
    expect(key.info()).toBeNull();
    const info = key.ensure();
    expect(new TechnicianKey(dir, protector).ensure()).toEqual(info);
    const file = readFileSync(join(dir, 'keys', 'technician.json'), 'utf8');
    expect(file).not.toContain('PRIVATE');
    const signature = signValue(new TechnicianKey(dir, protector).privateKey(), 'deckhand.checkpoint.v1', {
      x: 1,
    });
    expect(verifyValue(info.publicKey, 'deckhand.checkpoint.v1', { x: 1 }, signature)).toBe(true);
  });

  it('refuses a wrong passphrase and a missing protector with key_unavailable', () => {
    const dir = tempDir();
    new TechnicianKey(dir, protector).ensure();
    expect(() => new TechnicianKey(dir, createPassphraseProtector('wrong')).privateKey()).toThrow(
      expect.objectContaining({ code: 'key_unavailable' }),
    );
    expect(() => new TechnicianKey(tempDir(), null).ensure()).toThrow(
      expect.objectContaining({ code: 'key_unavailable' }),
    );
  });

  it('ends with one identity when several processes create the key at once', async () => {
    const dir = tempDir();
    const script = fileURLToPath(new URL('../../../support/create-key-worker.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const runs = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [tsx, script, dir], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            let out = '';
            child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
            child.on('exit', (code) =>
              code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`)),
            );
          }),
      ),
    );
    expect(new Set(runs).size).toBe(1);
    expect(runs[0]).toBe(new TechnicianKey(dir, protector).info()?.keyId);
  });
});

describe('createSafeStorageProtector', () => {
  const fake = {
    isEncryptionAvailable: () => true,
    encryptString: (text: string) => Buffer.from(`enc:${text}`),
    decryptString: (data: Buffer) => data.toString().replace(/^enc:/, ''),
  };

  it('round-trips the key through safeStorage', () => {
    const guard = createSafeStorageProtector(() => fake)!;
    expect(guard.kind).toBe('safe-storage');
    const dir = tempDir();
    const info = new TechnicianKey(dir, guard).ensure();
    expect(readFileSync(join(dir, 'keys', 'technician.json'), 'utf8')).toContain(
      '"protection": "safe-storage"',
    );
    expect(
      verifyValue(
        info.publicKey,
        'deckhand.receipt.v1',
        1,
        signValue(new TechnicianKey(dir, guard).privateKey(), 'deckhand.receipt.v1', 1),
      ),
    ).toBe(true);
    // The CLI with a passphrase cannot use a keychain-protected key, and says so.
    expect(() => new TechnicianKey(dir, protector).privateKey()).toThrow(
      expect.objectContaining({ code: 'key_unavailable' }),
    );
  });

  it('is absent where the platform has no encryption', () => {
    expect(createSafeStorageProtector(() => ({ ...fake, isEncryptionAvailable: () => false }))).toBeNull();
  });
});
