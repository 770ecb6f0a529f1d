/**
 * A self-signed X.509 v3 certificate for the device's Ed25519 key (RFC 5280, RFC 8410), built with
 * node:crypto alone. Why by hand: node:crypto cannot issue certificates, @peculiar/x509 needs a global
 * `reflect-metadata` polyfill, and shelling out to openssl needs a binary some devices lack. The
 * certificate is only a carrier for the key: the laptop pins its SHA-256 fingerprint, so no field
 * beyond the key matters for trust.
 */
import { sign, type KeyObject } from 'node:crypto';

const OID_ED25519 = [0x06, 0x03, 0x2b, 0x65, 0x70];
const OID_COMMON_NAME = [0x06, 0x03, 0x55, 0x04, 0x03];

/** Builds a PEM certificate for `publicKey`, signed by `privateKey`, with subject and issuer `CN=commonName`. */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  commonName: string,
): string {
  const name = seq(set(seq(Buffer.from(OID_COMMON_NAME), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const algorithm = seq(Buffer.from(OID_ED25519));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, Buffer.from([1])), // serial number
    algorithm,
    name,
    // 2000-01-01 to 9999-12-31 23:59:59 (RFC 5280 §4.1.2.5: "no well-defined expiration date").
    seq(tlv(0x17, Buffer.from('000101000000Z')), tlv(0x18, Buffer.from('99991231235959Z'))),
    name,
    publicKey.export({ format: 'der', type: 'spki' }),
  );
  const signature = sign(null, tbs, privateKey);
  const der = seq(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, body]);
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return tlv(0x31, Buffer.concat(parts));
}
