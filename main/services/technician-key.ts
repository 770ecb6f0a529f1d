/**
 * The technician's Ed25519 signing key, one per laptop, in `keys/technician.json` inside the data
 * folder. The public half and the laptop id are stored in clear; the private key is protected by a
 * KeyProtector: Electron's safeStorage in the app (main/electron), a passphrase file from the CLI.
 *
 * Creation is exclusive: the file is written beside its final name and then hard-linked into place,
 * which fails if it exists, so two processes starting at once end with one identity, not two.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID, scryptSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { DeckhandError } from '../../core/result';
import { exportPrivateKey, generateSigningKey, importPrivateKey, keyIdOf } from '../../core/sync/signing';

/** Encrypts the private key at rest. */
export interface KeyProtector {
  /** Stored beside the key so the right protector is asked to unprotect it. */
  readonly kind: 'safe-storage' | 'passphrase';
  protect(plain: Buffer): Buffer;
  /** Throws when the data cannot be decrypted (wrong passphrase, another user's keychain). */
  unprotect(data: Buffer): Buffer;
}

/** The public facts of the key. */
export interface TechnicianKeyInfo {
  readonly keyId: string;
  readonly publicKey: string;
  readonly laptopId: string;
  readonly createdAt: string;
  readonly protection: KeyProtector['kind'];
}

interface KeyFile extends TechnicianKeyInfo {
  readonly v: 1;
  readonly protectedKey: string;
}

/** The key file's name inside `keys/`. */
export const KEY_FILE_NAME = 'technician.json';

/** Manages the technician key in `dataDir/keys`. */
export class TechnicianKey {
  readonly #dir: string;
  readonly #protector: KeyProtector | null;
  #unlocked: KeyObject | null = null;

  constructor(dataDir: string, protector: KeyProtector | null) {
    this.#dir = join(dataDir, 'keys');
    this.#protector = protector;
  }

  /** The key's public facts, or null before it exists. */
  info(): TechnicianKeyInfo | null {
    const file = this.#read();
    if (file === null) return null;
    const { keyId, publicKey, laptopId, createdAt, protection } = file;
    return { keyId, publicKey, laptopId, createdAt, protection };
  }

  /** Creates the key unless it exists (first run); returns its public facts. */
  ensure(): TechnicianKeyInfo {
    const existing = this.info();
    if (existing !== null) return existing;
    const protector = this.#requireProtector();
    const pair = generateSigningKey();
    const file: KeyFile = {
      v: 1,
      keyId: pair.keyId,
      publicKey: pair.publicKey,
      laptopId: randomUUID(),
      createdAt: new Date().toISOString(),
      protection: protector.kind,
      protectedKey: protector.protect(exportPrivateKey(pair.privateKey)).toString('base64'),
    };
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const final = join(this.#dir, KEY_FILE_NAME);
    const temp = join(this.#dir, `${KEY_FILE_NAME}.${process.pid}.${randomUUID()}.tmp`);
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, final);
      this.#unlocked = pair.privateKey;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process created the key first; theirs is the identity.
    } finally {
      rmSync(temp, { force: true });
    }
    syncDir(this.#dir);
    return this.info() as TechnicianKeyInfo;
  }

  /** The private key, decrypted on first use (creating the key if needed). */
  privateKey(): KeyObject {
    if (this.#unlocked !== null) return this.#unlocked;
    this.ensure();
    if (this.#unlocked !== null) return this.#unlocked;
    const file = this.#read() as KeyFile;
    const protector = this.#requireProtector();
    if (protector.kind !== file.protection) {
      throw new DeckhandError(
        'key_unavailable',
        file.protection === 'safe-storage'
          ? 'The technician key is protected by the Deckhand app (the system keychain). Sign and sync from the app, or use a data folder the CLI created.'
          : 'The technician key is protected by a passphrase. Start Deckhand with DECKHAND_KEY_PASSPHRASE_FILE set, or use the CLI with --passphrase-file.',
      );
    }
    let der: Buffer;
    try {
      der = protector.unprotect(Buffer.from(file.protectedKey, 'base64'));
    } catch {
      throw new DeckhandError(
        'key_unavailable',
        'Deckhand could not unlock the technician key: the passphrase is wrong or the key file was damaged.',
      );
    }
    const key = importPrivateKey(der);
    if (keyIdOf(file.publicKey) !== file.keyId)
      throw new DeckhandError('key_unavailable', 'The technician key file is inconsistent.');
    this.#unlocked = key;
    return key;
  }

  #requireProtector(): KeyProtector {
    if (this.#protector === null) {
      throw new DeckhandError(
        'key_unavailable',
        'No way to protect the technician key is set up. From the CLI, pass --passphrase-file FILE (or set DECKHAND_KEY_PASSPHRASE_FILE).',
      );
    }
    return this.#protector;
  }

  #read(): KeyFile | null {
    let text: string;
    try {
      text = readFileSync(join(this.#dir, KEY_FILE_NAME), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as KeyFile;
  }
}

/**
 * Protects the key with a passphrase: scrypt (N=2^15, r=8, p=1) derives an AES-256-GCM key;
 * the stored blob is salt(16) ‖ iv(12) ‖ tag(16) ‖ ciphertext.
 */
export function createPassphraseProtector(passphrase: string): KeyProtector {
  if (passphrase.length === 0) throw new DeckhandError('usage', 'The passphrase file is empty.');
  const derive = (salt: Buffer): Buffer =>
    scryptSync(passphrase, salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return {
    kind: 'passphrase',
    protect: (plain) => {
      const salt = randomBytes(16);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', derive(salt), iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return Buffer.concat([salt, iv, cipher.getAuthTag(), body]);
    },
    unprotect: (data) => {
      const decipher = createDecipheriv('aes-256-gcm', derive(data.subarray(0, 16)), data.subarray(16, 28));
      decipher.setAuthTag(data.subarray(28, 44));
      return Buffer.concat([decipher.update(data.subarray(44)), decipher.final()]);
    },
  };
}

/** Reads a passphrase file (first line, without its newline). */
export function readPassphraseFile(file: string): string {
  try {
    return (readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '').trimEnd();
  } catch {
    throw new DeckhandError('usage', `Deckhand cannot read the passphrase file ${file}.`);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directory fsync is not supported everywhere (Windows); the link itself is already atomic.
  }
}
