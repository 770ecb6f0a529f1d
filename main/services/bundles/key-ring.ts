/**
 * HQ's signing keys (never on a technician's laptop): one Ed25519 key per role in a keys folder,
 * each `ROLE.key` a PKCS#8 PEM file with mode 0600, encrypted with DECKHAND_KEY_PASSPHRASE when one
 * is set; `root.json` (the current root) and `roots/N.root.json` (the whole chain, which every
 * bundle carries so laptops can follow key rotations); `bundle-state.json` (the last metadata
 * version used, so versions only ever grow).
 */
import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_ROLES,
  TOP_LEVEL_ROLES,
  buildRoot,
  documentBytes,
  keyIdOf,
  signDocument,
  type RoleName,
  type SigningKey,
} from '../../../core/bundle/metadata-builder';
import { parseSelfSignedRoot } from '../../../core/bundle/trust-state';
import { parseCanonical, type JsonObject } from '../../../core/bundle/tuf-json';
import { DeckhandError } from '../../../core/result';
import { writeFileAtomic } from '../../../core/node-io/atomic-file';

/** A loaded key: its id, public half and signer. */
export interface RoleKey extends SigningKey {
  readonly keyId: string;
}

/** An opened keys folder. */
export interface KeyRing {
  readonly dir: string;
  readonly keys: Readonly<Record<RoleName, RoleKey>>;
  /** Root documents, version 1 first. */
  readonly rootChain: readonly JsonObject[];
  readonly rootVersion: number;
}

/** A fresh Ed25519 key (for tests and tools that build keys in memory). */
export function generateRoleKey(): RoleKey {
  return roleKey(generateKeyPairSync('ed25519').privateKey);
}

/** Default lifetime of a root: roots are re-signed offline, so they live long. */
export const DEFAULT_ROOT_LIFETIME_DAYS = 365;

/** Creates keys for every role and root version 1 in `dir`; refuses to overwrite existing keys. */
export function initKeyRing(
  dir: string,
  options: { passphrase?: string | undefined; rootExpires: Date },
): KeyRing {
  if (existsSync(join(dir, 'root.json')) || ALL_ROLES.some((role) => existsSync(join(dir, `${role}.key`)))) {
    throw new DeckhandError(
      'invalid_input',
      `${dir} already holds Deckhand keys. Use another folder; never overwrite signing keys.`,
    );
  }
  mkdirSync(join(dir, 'roots'), { recursive: true, mode: 0o700 });
  const keys = {} as Record<RoleName, RoleKey>;
  for (const role of ALL_ROLES) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeKey(dir, role, privateKey, options.passphrase);
    keys[role] = roleKey(privateKey);
  }
  const root = signDocument(
    buildRoot({
      version: 1,
      expires: options.rootExpires,
      keys: Object.fromEntries(TOP_LEVEL_ROLES.map((role) => [role, [keys[role].publicHex]])) as Record<
        (typeof TOP_LEVEL_ROLES)[number],
        string[]
      >,
    }),
    [keys.root],
  );
  saveRoot(dir, 1, documentBytes(root));
  return { dir, keys, rootChain: [root.toJSON() as JsonObject], rootVersion: 1 };
}

/** Opens a keys folder, decrypting keys with the passphrase when they are encrypted. */
export function openKeyRing(dir: string, passphrase?: string): KeyRing {
  if (!existsSync(join(dir, 'root.json'))) {
    throw new DeckhandError(
      'not_found',
      `${dir} holds no Deckhand keys. Create them with: deckhand keys init --out ${dir}`,
    );
  }
  const keys = {} as Record<RoleName, RoleKey>;
  for (const role of ALL_ROLES) keys[role] = roleKey(readKey(dir, role, passphrase));
  const versions = readdirSync(join(dir, 'roots'))
    .map((name) => /^(\d+)\.root\.json$/.exec(name)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const rootChain = versions.map((version, index) => {
    if (version !== index + 1)
      throw new DeckhandError('invalid_metadata', `${dir}/roots is missing root version ${index + 1}.`);
    return parseCanonical(readFileSync(join(dir, 'roots', `${version}.root.json`)), `${version}.root.json`);
  });
  if (rootChain.length === 0) throw new DeckhandError('invalid_metadata', `${dir}/roots holds no root.`);
  return { dir, keys, rootChain, rootVersion: rootChain.length };
}

/**
 * Issues the next root version: same keys, except a fresh key for `replace` when given. It is
 * signed by the previous root keys and the new ones, as laptops require. The replaced private key
 * moves to `retired/`.
 */
export function rotateRoot(
  dir: string,
  options: { passphrase?: string | undefined; replace?: RoleName | undefined; rootExpires: Date },
): { ring: KeyRing; replacedKeyId: string | null } {
  const ring = openKeyRing(dir, options.passphrase);
  const previous = parseSelfSignedRoot(
    ring.rootChain[ring.rootChain.length - 1] as JsonObject,
    'the current root',
  );
  const keys = { ...ring.keys };
  let replacedKeyId: string | null = null;
  if (options.replace !== undefined) {
    const role = options.replace;
    replacedKeyId = keys[role].keyId;
    mkdirSync(join(dir, 'retired'), { recursive: true, mode: 0o700 });
    writeFileAtomic(
      join(dir, 'retired', `${role}-${replacedKeyId.slice(0, 16)}.key`),
      readFileSync(join(dir, `${role}.key`)),
      0o600,
    );
    const { privateKey } = generateKeyPairSync('ed25519');
    keys[role] = roleKey(privateKey);
    writeKey(dir, role, privateKey, options.passphrase);
  }
  const version = previous.signed.version + 1;
  const next = signDocument(
    buildRoot({
      version,
      expires: options.rootExpires,
      keys: Object.fromEntries(TOP_LEVEL_ROLES.map((role) => [role, [keys[role].publicHex]])) as Record<
        (typeof TOP_LEVEL_ROLES)[number],
        string[]
      >,
    }),
    // The old root key and the new one (the same key when root was not replaced counts once).
    keys.root.keyId === ring.keys.root.keyId ? [keys.root] : [ring.keys.root, keys.root],
  );
  saveRoot(dir, version, documentBytes(next));
  return { ring: openKeyRing(dir, options.passphrase), replacedKeyId };
}

function saveRoot(dir: string, version: number, bytes: Uint8Array): void {
  writeFileAtomic(join(dir, 'roots', `${version}.root.json`), bytes);
  writeFileAtomic(join(dir, 'root.json'), bytes);
}

function writeKey(dir: string, role: RoleName, key: KeyObject, passphrase: string | undefined): void {
  const pem = key.export(
    passphrase
      ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase }
      : { type: 'pkcs8', format: 'pem' },
  );
  writeFileAtomic(join(dir, `${role}.key`), pem, 0o600);
}

function readKey(dir: string, role: RoleName, passphrase: string | undefined): KeyObject {
  const file = join(dir, `${role}.key`);
  const pem = readFileSync(file, 'utf8');
  const encrypted = pem.includes('ENCRYPTED');
  if (encrypted && !passphrase) {
    throw new DeckhandError(
      'unauthorized',
      `The keys in ${dir} are protected by a passphrase. Set DECKHAND_KEY_PASSPHRASE and try again.`,
    );
  }
  try {
    return createPrivateKey(encrypted ? { key: pem, passphrase } : { key: pem });
  } catch {
    throw new DeckhandError(
      'unauthorized',
      `Could not open ${file}: the passphrase is wrong or the key file is damaged.`,
    );
  }
}

/** A loaded key from a private key object. */
export function roleKey(privateKey: KeyObject): RoleKey {
  const jwk = privateKey.export({ format: 'jwk' }) as { x?: string };
  const publicHex = Buffer.from(jwk.x ?? '', 'base64url').toString('hex');
  return {
    keyId: keyIdOf(publicHex),
    publicHex,
    sign: (data) => sign(null, data, privateKey).toString('hex'),
  };
}
