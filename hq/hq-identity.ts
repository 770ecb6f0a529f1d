/**
 * HQ's identity: an Ed25519 key that signs receipts and a TLS certificate laptops pin at enrolment.
 * Both live in HQ's database so a restart (or a second HQ process on the same PostgreSQL) keeps
 * the identity laptops pinned. Without `--cert`/`--key`, a self-signed certificate is generated once
 * with openssl (development and small sites); give a real one for production (docs/hq.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { X509Certificate } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  exportPrivateKey,
  generateSigningKey,
  importPrivateKey,
  keyIdOf,
  rawPublicKey,
} from '../core/sync/signing';
import type { HqIdentity } from '../core/sync/wire';
import type { HqStore } from './store/hq-store';

/** HQ's keys, ready to use. */
export interface HqKeys {
  readonly identity: HqIdentity;
  readonly signingKey: KeyObject;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** SHA-256 fingerprint of the TLS certificate, as `AB:CD:…`. */
  readonly fingerprint: string;
}

/** Options for loading the identity. */
export interface HqIdentityOptions {
  readonly name?: string;
  /** A certificate and key to serve instead of the stored self-signed one. */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
}

/** Loads HQ's identity from the store, creating it on first start. */
export async function loadHqKeys(store: HqStore, options: HqIdentityOptions = {}): Promise<HqKeys> {
  let record = await store.loadIdentity();
  if (record === null) {
    const signing = generateSigningKey();
    const tls = generateSelfSignedCertificate();
    record = await store.saveIdentity({
      name: options.name ?? `Deckhand HQ (${hostname()})`,
      signingKey: exportPrivateKey(signing.privateKey).toString('base64'),
      tlsCertPem: tls.certPem,
      tlsKeyPem: tls.keyPem,
    });
  }
  const signingKey = importPrivateKey(Buffer.from(record.signingKey, 'base64'));
  const publicKey = rawPublicKey(signingKey);
  const tls =
    options.certFile && options.keyFile
      ? { certPem: readFileSync(options.certFile, 'utf8'), keyPem: readFileSync(options.keyFile, 'utf8') }
      : { certPem: record.tlsCertPem, keyPem: record.tlsKeyPem };
  return {
    identity: { name: record.name, keyId: keyIdOf(publicKey), publicKey },
    signingKey,
    tls,
    fingerprint: new X509Certificate(tls.certPem).fingerprint256,
  };
}

/** A self-signed P-256 certificate for localhost and this machine's name, valid for two years. */
export function generateSelfSignedCertificate(): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-hq-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '730',
        '-subj',
        '/CN=Deckhand HQ',
        '-addext',
        `subjectAltName=DNS:localhost,DNS:${hostname()},IP:127.0.0.1,IP:::1`,
      ],
      { stdio: 'ignore' },
    );
    return { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
