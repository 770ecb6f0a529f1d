/**
 * Builds and signs a bundle's TUF metadata (HQ side). Pure: keys arrive as signer functions, target
 * facts (length, SHA-256) arrive already measured, and the output is the canonical bytes of each
 * metadata file. Roles: root, timestamp, snapshot, targets (signs policies and delegates), and the
 * delegated roles `releases` (paths `releases/*\/*\/*`) and `models` (`models/*\/*\/*`).
 */
import { createHash } from 'node:crypto';
import {
  Key,
  MetaFile,
  Metadata,
  Root,
  Signature,
  Snapshot,
  TargetFile,
  Targets,
  Timestamp,
} from '@tufjs/models';
import { DeckhandError } from '../result';
import { KIND_ROLE, canonicalSafe, kindPathPattern, type TargetCustom } from './target-info';
import { encodeCanonical, type JsonObject } from './tuf-json';

/** The TUF specification version the metadata declares. */
export const SPEC_VERSION = '1.0.31';

/** The top-level roles. */
export const TOP_LEVEL_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;
/** The delegated roles Deckhand bundles use. */
export const DELEGATED_ROLES = ['releases', 'models'] as const;
/** Every role that has a key. */
export const ALL_ROLES = [...TOP_LEVEL_ROLES, ...DELEGATED_ROLES] as const;
/** A role with a key. */
export type RoleName = (typeof ALL_ROLES)[number];

/** A signing key: its public half and a function that signs bytes (Ed25519, hex signature). */
export interface SigningKey {
  readonly publicHex: string;
  readonly sign: (data: Uint8Array) => string;
}

/** The TUF key object of an Ed25519 public key. */
export function tufKey(publicHex: string): Key {
  return new Key({
    keyID: keyIdOf(publicHex),
    keyType: 'ed25519',
    scheme: 'ed25519',
    keyVal: { public: publicHex },
  });
}

/** A key id: SHA-256 of the canonical JSON of the public key object (TUF convention). */
export function keyIdOf(publicHex: string): string {
  const json = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: publicHex } };
  return createHash('sha256').update(encodeCanonical(json)).digest('hex');
}

/** Builds an unsigned root listing one or more keys per top-level role (threshold 1 each unless given). */
export function buildRoot(options: {
  readonly version: number;
  readonly expires: Date;
  readonly keys: Readonly<Record<(typeof TOP_LEVEL_ROLES)[number], readonly string[]>>;
  readonly thresholds?: Partial<Record<(typeof TOP_LEVEL_ROLES)[number], number>>;
}): Root {
  const keys: Record<string, JsonObject> = {};
  const roles: Record<string, JsonObject> = {};
  for (const role of TOP_LEVEL_ROLES) {
    const ids = options.keys[role].map((publicHex) => {
      keys[keyIdOf(publicHex)] = tufKey(publicHex).toJSON() as JsonObject;
      return keyIdOf(publicHex);
    });
    roles[role] = { keyids: ids, threshold: options.thresholds?.[role] ?? 1 };
  }
  return Root.fromJSON({
    _type: 'root',
    spec_version: SPEC_VERSION,
    version: options.version,
    expires: isoSeconds(options.expires),
    consistent_snapshot: true,
    keys,
    roles,
  });
}

/** Signs `signed` with each key and returns the metadata document. */
export function signDocument<T extends Root | Timestamp | Snapshot | Targets>(
  signed: T,
  keys: readonly SigningKey[],
): Metadata<T> {
  const metadata = new Metadata(signed);
  for (const key of keys) {
    metadata.sign((data) => new Signature({ keyID: keyIdOf(key.publicHex), sig: key.sign(data) }));
  }
  return metadata;
}

/** A document's canonical bytes, as stored in a bundle. */
export function documentBytes(metadata: Metadata<Root | Timestamp | Snapshot | Targets>): Uint8Array {
  return encodeCanonical(metadata.toJSON());
}

/** One target to list in the bundle. */
export interface TargetSpec {
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
  readonly custom: TargetCustom;
}

/** Everything needed to sign one bundle's metadata. */
export interface BundleMetadataInput {
  /** Every root version so far, oldest first (`N.root.json` documents). */
  readonly rootChain: readonly JsonObject[];
  readonly keys: Readonly<Record<Exclude<RoleName, 'root'>, readonly SigningKey[]>>;
  readonly targets: readonly TargetSpec[];
  /** Version of timestamp, snapshot, targets and delegated roles (monotonic across bundles). */
  readonly version: number;
  readonly expires: Date;
}

/** Builds and signs timestamp, snapshot, targets, releases and models; returns file name → bytes. */
export function buildBundleMetadata(input: BundleMetadataInput): Map<string, Uint8Array> {
  const expires = isoSeconds(input.expires);
  const common = { version: input.version, specVersion: SPEC_VERSION, expires };
  const files = new Map<string, Uint8Array>();
  input.rootChain.forEach((root, index) => files.set(`${index + 1}.root.json`, encodeCanonical(root)));

  const seen = new Set<string>();
  const byRole = new Map<string, TargetFile[]>();
  for (const target of input.targets) {
    if (seen.has(target.path))
      throw new DeckhandError(
        'invalid_input',
        `Two targets share the path ${target.path}; give them different names or versions.`,
      );
    seen.add(target.path);
    const role = KIND_ROLE[target.custom.kind];
    const list = byRole.get(role) ?? [];
    list.push(
      new TargetFile({
        path: target.path,
        length: target.length,
        hashes: { sha256: target.sha256 },
        unrecognizedFields: { custom: canonicalSafe(target.custom) as JsonObject },
      }),
    );
    byRole.set(role, list);
  }

  const meta: Record<string, MetaFile> = {};
  const delegatedRoles = DELEGATED_ROLES.map((role) => {
    const targets = new Targets({
      ...common,
      targets: Object.fromEntries((byRole.get(role) ?? []).map((t) => [t.path, t])),
    });
    const bytes = documentBytes(signDocument(targets, input.keys[role]));
    files.set(`${role}.json`, bytes);
    meta[`${role}.json`] = metaFileOf(input.version, bytes);
    return {
      name: role,
      keyids: input.keys[role].map((key) => keyIdOf(key.publicHex)),
      threshold: 1,
      terminating: true,
      paths: [kindPathPattern(role === 'releases' ? 'release' : 'model')],
    };
  });
  const delegationKeys: Record<string, JsonObject> = {};
  for (const role of DELEGATED_ROLES)
    for (const key of input.keys[role])
      delegationKeys[keyIdOf(key.publicHex)] = tufKey(key.publicHex).toJSON() as JsonObject;
  const topTargets = Targets.fromJSON({
    _type: 'targets',
    spec_version: common.specVersion,
    version: common.version,
    expires,
    targets: Object.fromEntries((byRole.get('targets') ?? []).map((t) => [t.path, t.toJSON()])),
    delegations: { keys: delegationKeys, roles: delegatedRoles },
  });
  const targetsBytes = documentBytes(signDocument(topTargets, input.keys.targets));
  files.set('targets.json', targetsBytes);
  meta['targets.json'] = metaFileOf(input.version, targetsBytes);

  const snapshotBytes = documentBytes(signDocument(new Snapshot({ ...common, meta }), input.keys.snapshot));
  files.set('snapshot.json', snapshotBytes);
  const timestamp = new Timestamp({ ...common, snapshotMeta: metaFileOf(input.version, snapshotBytes) });
  files.set('timestamp.json', documentBytes(signDocument(timestamp, input.keys.timestamp)));
  return files;
}

/** A MetaFile pinning a metadata file's version, length and SHA-256. */
export function metaFileOf(version: number, bytes: Uint8Array): MetaFile {
  return new MetaFile({
    version,
    length: bytes.length,
    hashes: { sha256: createHash('sha256').update(bytes).digest('hex') },
  });
}

/** An ISO time without milliseconds, as TUF metadata writes it. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
