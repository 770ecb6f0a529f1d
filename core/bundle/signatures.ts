/**
 * Signature thresholds, counted the way TUF 1.0 §5 requires and with Deckhand's refusal codes:
 * each key counts once however many times it signed (or under however many key ids), only keys
 * the delegating role lists count, and only Ed25519 keys are accepted.
 */
import type { Key } from '@tufjs/models';
import { DeckhandError } from '../result';

/** A role's keys and threshold, from root (top-level roles) or a delegating targets role. */
export interface RoleKeys {
  readonly keyIDs: readonly string[];
  readonly threshold: number;
}

/** Refuses keys other than Ed25519 with a 32-byte hex public key (`unknown_key`). */
export function checkKeyTypes(keys: Readonly<Record<string, Key>>, where: string): void {
  for (const [keyId, key] of Object.entries(keys)) {
    if (
      key.keyType !== 'ed25519' ||
      key.scheme !== 'ed25519' ||
      typeof key.keyVal['public'] !== 'string' ||
      !/^[0-9a-f]{64}$/.test(key.keyVal['public'])
    ) {
      throw new DeckhandError(
        'unknown_key',
        `This bundle was refused: ${where} lists a key of a kind Deckhand does not accept (${short(keyId)}: ${String(key.keyType)}/${String(key.scheme)}). HQ signs bundles with Ed25519 keys only; tell HQ.`,
        { keyId, keyType: key.keyType, scheme: key.scheme },
      );
    }
  }
}

/**
 * Verifies that `metadata` carries at least `role.threshold` valid signatures from distinct keys
 * the role lists. Returns the key ids that signed. Refuses with `bad_signature` when a listed key's
 * signature does not verify (the content was changed), `unknown_key` when only keys the role does
 * not list signed (revoked or foreign keys), else `threshold_not_met`.
 */
export function verifyThreshold(
  keys: Readonly<Record<string, Key>>,
  role: RoleKeys,
  metadata: Parameters<Key['verifySignature']>[0],
  roleName: string,
): string[] {
  const signers: string[] = [];
  const publics = new Set<string>();
  let badSignatures = 0;
  for (const keyId of new Set(role.keyIDs)) {
    const key = keys[keyId];
    if (key === undefined || metadata.signatures[keyId] === undefined) continue;
    const publicKey = key.keyVal['public'] ?? '';
    try {
      key.verifySignature(metadata);
    } catch {
      badSignatures += 1;
      continue;
    }
    if (publics.has(publicKey)) continue;
    publics.add(publicKey);
    signers.push(keyId);
  }
  if (signers.length >= role.threshold && role.threshold >= 1) return signers;
  const listed = new Set(role.keyIDs);
  const foreign = Object.keys(metadata.signatures).filter((keyId) => !listed.has(keyId));
  if (badSignatures > 0) {
    throw new DeckhandError(
      'bad_signature',
      `This bundle was refused: the ${roleName} metadata was changed after HQ signed it (a signature does not match). Do not use this file; ask HQ for a fresh bundle.`,
      { role: roleName },
    );
  }
  if (signers.length === 0 && foreign.length > 0) {
    throw new DeckhandError(
      'unknown_key',
      `This bundle was refused: the ${roleName} metadata is signed by a key this laptop's trust root does not accept for that role (revoked or from another organisation: ${foreign.map(short).join(', ')}). Ask HQ for a bundle signed with current keys.`,
      { role: roleName, keyIds: foreign },
    );
  }
  throw new DeckhandError(
    'threshold_not_met',
    `This bundle was refused: the ${roleName} metadata carries ${signers.length} of the ${role.threshold} signatures HQ's policy requires. Ask HQ for a fully signed bundle.`,
    { role: roleName, valid: signers.length, threshold: role.threshold },
  );
}

/** A key id shortened for messages. */
export function short(keyId: string): string {
  return keyId.length > 12 ? `${keyId.slice(0, 12)}…` : keyId;
}
