/**
 * Ed25519 signatures over canonical JSON, with a domain label so a signature made for one purpose
 * (a checkpoint) can never be replayed as another (a receipt). Keys travel as base64url of the raw
 * 32-byte public key; a key's id is the first 16 bytes of its SHA-256, in hex.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { canonicalJson } from '../eventlog/canonical-json';

/** What a signature is for; part of the signed text. */
export type SignatureDomain = 'deckhand.checkpoint.v1' | 'deckhand.receipt.v1' | 'deckhand.enrolment.v1';

/** A freshly generated Ed25519 key pair. */
export interface SigningKeyPair {
  readonly privateKey: KeyObject;
  /** base64url of the raw 32-byte public key. */
  readonly publicKey: string;
  readonly keyId: string;
}

/** Generates an Ed25519 key pair. */
export function generateSigningKey(): SigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  return { privateKey, publicKey: raw, keyId: keyIdOf(raw) };
}

/** The base64url raw public key of an Ed25519 KeyObject (public or private). */
export function rawPublicKey(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new TypeError('not an Ed25519 key');
  return jwk.x;
}

/** The stable id of a public key: hex of the first 16 bytes of SHA-256 over the raw key. */
export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 32);
}

/** PKCS#8 DER of a private key, for storage (the caller protects it). */
export function exportPrivateKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'pkcs8' });
}

/** Reads a PKCS#8 DER private key back. */
export function importPrivateKey(der: Buffer): KeyObject {
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 key');
  return key;
}

/** The exact text a signature covers. */
export function signedText(domain: SignatureDomain, value: unknown): Buffer {
  return Buffer.from(`${domain}\n${canonicalJson(value)}`, 'utf8');
}

/** Signs `value` for `domain`; returns base64url. */
export function signValue(privateKey: KeyObject, domain: SignatureDomain, value: unknown): string {
  return sign(null, signedText(domain, value), privateKey).toString('base64url');
}

/** Verifies a base64url signature; false for a malformed key or signature as well as a wrong one. */
export function verifyValue(
  publicKey: string,
  domain: SignatureDomain,
  value: unknown,
  signature: string,
): boolean {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
    return verify(null, signedText(domain, value), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
