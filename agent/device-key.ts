/**
 * The device's identity key: Ed25519, created at first start, stored 0600 in the state folder. It signs
 * receipts and, through a self-signed certificate, authenticates the agent's TLS endpoint.
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/node-io/atomic-file';
import { selfSignedCertificate } from './self-signed-cert';

/** The loaded key, its certificate and their published forms. */
export interface DeviceKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** SPKI DER, base64. */
  readonly publicKeyBase64: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  /** SHA-256 of the certificate's DER, as Node prints it (AA:BB:…). */
  readonly fingerprint: string;
  /** Ed25519 signature of `data`, base64. */
  readonly sign: (data: Uint8Array) => string;
}

/** Loads the device key from `stateDir`, creating key and certificate at first start. */
export function loadOrCreateDeviceKey(stateDir: string, commonName: string): DeviceKey {
  const keyPath = join(stateDir, 'device-key.pem');
  const certPath = join(stateDir, 'device-cert.pem');
  if (!existsSync(keyPath)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileAtomic(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  }
  const privateKeyPem = readFileSync(keyPath, 'utf8');
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  if (!existsSync(certPath))
    writeFileAtomic(certPath, selfSignedCertificate(privateKey, publicKey, commonName), 0o644);
  const certificatePem = readFileSync(certPath, 'utf8');
  return {
    privateKey,
    publicKey,
    publicKeyBase64: (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).toString('base64'),
    certificatePem,
    privateKeyPem,
    fingerprint: new X509Certificate(certificatePem).fingerprint256,
    sign: (data) => sign(null, data, privateKey).toString('base64'),
  };
}
