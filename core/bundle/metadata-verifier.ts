/**
 * The TUF 1.0 client workflow (specification §5.3–5.6) over a bundle's metadata, held in memory:
 * walk the root chain from the trusted root, then timestamp, snapshot, targets and the delegated
 * roles, checking signatures, versions, hashes, lengths and expiry, and refusing rollbacks against
 * the persisted trust state. Pure: the caller reads the files and persists the returned state.
 *
 * Deckhand implements the workflow over @tufjs/models rather than using tuf-js's Updater because the
 * Updater walks the root chain until an HTTP 403/404, judges expiry by the raw machine clock and
 * writes trusted metadata without fsync (ARCHITECTURE.md, Bundles, "Known traps").
 */
import { createHash } from 'node:crypto';
import {
  Metadata,
  MetadataKind,
  type MetaFile,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import { DeckhandError } from '../result';
import { MAX_ROOT_CHAIN, isSafeTargetPath } from './bundle-layout';
import { formatDay } from './human-format';
import { checkKeyTypes, verifyThreshold, type RoleKeys } from './signatures';
import { KIND_FOLDER, targetCustomSchema, type BundleTarget } from './target-info';
import { referenceTime, type TrustState } from './trust-state';
import { parseCanonical, type JsonObject } from './tuf-json';

/** Most delegated roles a bundle may use, and how deep delegations may nest. */
const MAX_DELEGATED_ROLES = 64;
const MAX_DELEGATION_DEPTH = 8;

/** One role's metadata as accepted. */
export interface VerifiedRole {
  readonly role: string;
  readonly version: number;
  readonly expires: string;
  readonly signers: readonly string[];
}

/** The outcome of verifying a bundle's metadata. */
export interface VerifiedMetadata {
  /** SHA-256 of timestamp.json: identifies the bundle. */
  readonly bundleId: string;
  readonly rootVersion: number;
  readonly roles: readonly VerifiedRole[];
  /** The earliest expiry of all metadata the bundle relies on. */
  readonly expires: string;
  readonly targets: readonly BundleTarget[];
  /** The trust state to persist once the import completes. */
  readonly nextState: TrustState;
}

/** Input of verifyMetadata. */
export interface VerifyMetadataInput {
  readonly state: TrustState;
  /** Metadata file name (as in `metadata/`) → bytes. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  readonly now: Date;
}

/** Verifies the metadata; throws a coded DeckhandError on the first refusal. */
export function verifyMetadata(input: VerifyMetadataInput): VerifiedMetadata {
  const { state, files } = input;
  const now = referenceTime(input.now, state);
  const clockBehind = now.getTime() !== input.now.getTime();
  const roles: VerifiedRole[] = [];

  // §5.3: the root chain, one version at a time, each signed by the old and the new threshold.
  let root = parseMetadata(MetadataKind.Root, state.root, 'trusted root');
  const trustedRootVersion = root.signed.version;
  const chain = rootChainVersions(files);
  let timestampState = state.timestamp;
  let snapshotState = state.snapshot;
  let rootSigners: readonly string[] = [];
  for (let next = root.signed.version + 1; chain.has(next); next += 1) {
    const file = `${next}.root.json`;
    const candidate = parseMetadata(MetadataKind.Root, readJson(files, file), file);
    checkKeyTypes(candidate.signed.keys, file);
    const oldRole = roleOf(root.signed, 'root', 'trusted root');
    const newRole = roleOf(candidate.signed, 'root', file);
    try {
      verifyThreshold(root.signed.keys, oldRole, candidate, 'root');
    } catch (error) {
      throw rotation(
        `version ${next} of the root is not signed by enough of the keys trusted before it`,
        error,
      );
    }
    try {
      rootSigners = verifyThreshold(candidate.signed.keys, newRole, candidate, 'root');
    } catch (error) {
      throw rotation(`version ${next} of the root is not signed by enough of its own keys`, error);
    }
    if (candidate.signed.version !== next)
      throw rotation(`${file} says it is version ${candidate.signed.version}`);
    // §5.3.11: new timestamp or snapshot keys make the old versions meaningless (fast-forward recovery).
    if (!sameRole(root.signed, candidate.signed, 'timestamp')) timestampState = null;
    if (!sameRole(root.signed, candidate.signed, 'snapshot')) {
      timestampState = null;
      snapshotState = null;
    }
    root = candidate;
  }
  const highestInBundle = Math.max(0, ...chain);
  if (highestInBundle > root.signed.version) {
    throw rotation(
      `the bundle carries root version ${highestInBundle} but not every version between ${root.signed.version} and it`,
    );
  }
  if (root.signed.version === trustedRootVersion) {
    checkKeyTypes(root.signed.keys, 'the trusted root');
  }
  if (rootSigners.length === 0)
    rootSigners = verifyThreshold(root.signed.keys, roleOf(root.signed, 'root', 'root'), root, 'root');
  checkExpiry('root', root.signed.expires, now, clockBehind);
  roles.push({
    role: 'root',
    version: root.signed.version,
    expires: root.signed.expires,
    signers: rootSigners,
  });

  // §5.4: timestamp.
  const timestampBytes = files.get('timestamp.json');
  if (timestampBytes === undefined) {
    throw new DeckhandError(
      'not_a_bundle',
      'This file is not a complete Deckhand bundle: it has no timestamp metadata. Ask HQ for the right file.',
    );
  }
  const bundleId = sha256(timestampBytes);
  const timestamp = parseMetadata(
    MetadataKind.Timestamp,
    parseCanonical(timestampBytes, 'timestamp.json'),
    'timestamp.json',
  );
  const timestampSigners = verifyThreshold(
    root.signed.keys,
    roleOf(root.signed, 'timestamp', 'root'),
    timestamp,
    'timestamp',
  );
  if (timestampState !== null) {
    if (timestamp.signed.version < timestampState.version)
      throw rollback('timestamp', timestamp.signed.version, timestampState.version);
    if (timestamp.signed.version === timestampState.version && bundleId !== timestampState.sha256) {
      throw new DeckhandError(
        'rollback',
        `This bundle was refused: it claims the same release number (${timestamp.signed.version}) as a different bundle already imported on this laptop. One of them is not what HQ published; ask HQ.`,
        { role: 'timestamp', version: timestamp.signed.version },
      );
    }
  }
  const snapshotMeta = timestamp.signed.snapshotMeta;
  if (snapshotState !== null && snapshotMeta.version < snapshotState.version)
    throw rollback('snapshot', snapshotMeta.version, snapshotState.version);
  checkExpiry('timestamp', timestamp.signed.expires, now, clockBehind);
  roles.push(verified('timestamp', timestamp.signed, timestampSigners));

  // §5.5: snapshot.
  const snapshotBytes = requireFile(files, 'snapshot.json');
  checkMetaFile(snapshotMeta, snapshotBytes, 'snapshot.json');
  const snapshot = parseMetadata(
    MetadataKind.Snapshot,
    parseCanonical(snapshotBytes, 'snapshot.json'),
    'snapshot.json',
  );
  const snapshotSigners = verifyThreshold(
    root.signed.keys,
    roleOf(root.signed, 'snapshot', 'root'),
    snapshot,
    'snapshot',
  );
  if (snapshot.signed.version !== snapshotMeta.version)
    mismatch('snapshot.json', snapshotMeta.version, snapshot.signed.version);
  if (snapshotState !== null) {
    for (const [file, version] of Object.entries(snapshotState.meta)) {
      const listed = snapshot.signed.meta[file];
      if (listed === undefined) {
        throw new DeckhandError(
          'rollback',
          `This bundle was refused: it drops ${file}, which a bundle already imported on this laptop listed. It looks like an older or altered bundle; ask HQ.`,
          { file },
        );
      }
      if (listed.version < version) throw rollback(file.replace(/\.json$/, ''), listed.version, version);
    }
  }
  checkExpiry('snapshot', snapshot.signed.expires, now, clockBehind);
  roles.push(verified('snapshot', snapshot.signed, snapshotSigners));

  // §5.6: top-level targets, then the delegation tree, pre-order.
  const targetsMd = loadRole(files, snapshot.signed, 'targets');
  const targetsSigners = verifyThreshold(
    root.signed.keys,
    roleOf(root.signed, 'targets', 'root'),
    targetsMd,
    'targets',
  );
  checkExpiry('targets', targetsMd.signed.expires, now, clockBehind);
  roles.push(verified('targets', targetsMd.signed, targetsSigners));

  const targets = new Map<string, BundleTarget>();
  const visited = new Set<string>(['targets']);
  const walk = (
    name: string,
    metadata: Metadata<Targets>,
    constraints: readonly ((path: string) => boolean)[],
    depth: number,
  ): void => {
    collectTargets(name, metadata.signed, constraints, targets);
    const delegations = metadata.signed.delegations;
    if (delegations === undefined) return;
    if (delegations.succinctRoles !== undefined)
      throw violation(`${name} uses hash-bin delegations, which Deckhand bundles do not use`);
    checkKeyTypes(delegations.keys, `${name}.json`);
    for (const delegated of Object.values(delegations.roles ?? {})) {
      if (visited.has(delegated.name)) {
        throw violation(`the role ${delegated.name} is delegated more than once (a delegation cycle)`);
      }
      if (depth >= MAX_DELEGATION_DEPTH || visited.size >= MAX_DELEGATED_ROLES)
        throw violation('the delegations nest too deeply');
      if (delegated.name === 'root' || delegated.name === 'timestamp' || delegated.name === 'snapshot')
        throw violation(`${name} delegates to a top-level role name (${delegated.name})`);
      visited.add(delegated.name);
      const child = loadRole(files, snapshot.signed, delegated.name);
      const signers = verifyThreshold(delegations.keys, delegated as RoleKeys, child, delegated.name);
      checkExpiry(delegated.name, child.signed.expires, now, clockBehind);
      roles.push(verified(delegated.name, child.signed, signers));
      walk(delegated.name, child, [...constraints, (path) => delegated.isDelegatedPath(path)], depth + 1);
    }
  };
  walk('targets', targetsMd, [], 0);

  const expires = roles
    .map((role) => role.expires)
    .reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
  const snapshotVersions: Record<string, number> = {};
  for (const [file, meta] of Object.entries(snapshot.signed.meta)) snapshotVersions[file] = meta.version;
  return {
    bundleId,
    rootVersion: root.signed.version,
    roles,
    expires,
    targets: [...targets.values()],
    nextState: {
      format: 1,
      root: root.toJSON() as JsonObject,
      rootVersion: root.signed.version,
      timestamp: { version: timestamp.signed.version, sha256: bundleId },
      snapshot: { version: snapshot.signed.version, meta: snapshotVersions },
      highestTime: now.toISOString(),
    },
  };
}

/** The versions N of `N.root.json` files in the bundle. */
function rootChainVersions(files: ReadonlyMap<string, Uint8Array>): Set<number> {
  const versions = new Set<number>();
  for (const file of files.keys()) {
    const match = /^([1-9]\d{0,8})\.root\.json$/.exec(file);
    if (match) versions.add(Number(match[1]));
  }
  if (versions.size > MAX_ROOT_CHAIN) throw rotation('the bundle carries too many root versions');
  return versions;
}

function collectTargets(
  role: string,
  signed: Targets,
  constraints: readonly ((path: string) => boolean)[],
  into: Map<string, BundleTarget>,
): void {
  for (const [path, file] of Object.entries(signed.targets)) {
    if (!isSafeTargetPath(path))
      throw new DeckhandError(
        'unsafe_path',
        `This bundle was refused: ${role} lists a target with an unsafe name ("${path.slice(0, 200)}"). Tell HQ.`,
        { path },
      );
    if (!constraints.every((allowed) => allowed(path)))
      throw violation(`the ${role} role signed "${path}", which it is not allowed to sign`);
    const sha = file.hashes['sha256'];
    if (
      sha === undefined ||
      !/^[0-9a-f]{64}$/.test(sha) ||
      !Number.isSafeInteger(file.length) ||
      file.length < 0
    )
      throw invalid(`${role}.json`, `gives "${path}" no usable length and SHA-256`);
    const parsed = targetCustomSchema.safeParse(file.custom);
    if (!parsed.success)
      throw invalid(
        `${role}.json`,
        `describes "${path}" incompletely (${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')})`,
      );
    if (!path.startsWith(`${KIND_FOLDER[parsed.data.kind]}/`))
      throw invalid(
        `${role}.json`,
        `files the ${parsed.data.kind} "${path}" outside ${KIND_FOLDER[parsed.data.kind]}/`,
      );
    const existing = into.get(path);
    if (existing !== undefined && (existing.sha256 !== sha || existing.length !== file.length))
      throw violation(`two roles describe "${path}" differently`);
    if (existing === undefined)
      into.set(path, { path, length: file.length, sha256: sha, role, custom: parsed.data });
  }
}

function loadRole(
  files: ReadonlyMap<string, Uint8Array>,
  snapshot: Snapshot,
  role: string,
): Metadata<Targets> {
  const file = `${role}.json`;
  const meta = snapshot.meta[file];
  if (meta === undefined) throw invalid('snapshot.json', `does not list ${file}`);
  const bytes = requireFile(files, file);
  checkMetaFile(meta, bytes, file);
  const metadata = parseMetadata(MetadataKind.Targets, parseCanonical(bytes, file), file);
  if (metadata.signed.version !== meta.version) mismatch(file, meta.version, metadata.signed.version);
  return metadata;
}

/** Length and SHA-256 of a metadata file against what the role above it pinned (both required). */
function checkMetaFile(meta: MetaFile, bytes: Uint8Array, file: string): void {
  const expected = meta.hashes?.['sha256'];
  if (meta.length === undefined || expected === undefined)
    throw invalid(file, 'is listed without its length and SHA-256');
  if (bytes.length !== meta.length) {
    throw new DeckhandError(
      'length_mismatch',
      `This bundle was refused: its ${file} is not the one its signed metadata describes (${bytes.length} bytes instead of ${meta.length}). Parts of different bundles may have been mixed; ask HQ for a fresh bundle.`,
      { file, expected: meta.length, actual: bytes.length },
    );
  }
  if (sha256(bytes) !== expected) {
    throw new DeckhandError(
      'hash_mismatch',
      `This bundle was refused: its ${file} is not the one its signed metadata describes (the SHA-256 differs). Parts of different bundles may have been mixed; ask HQ for a fresh bundle.`,
      { file },
    );
  }
}

function parseMetadata(kind: MetadataKind.Root, json: JsonObject, file: string): Metadata<Root>;
function parseMetadata(kind: MetadataKind.Timestamp, json: JsonObject, file: string): Metadata<Timestamp>;
function parseMetadata(kind: MetadataKind.Snapshot, json: JsonObject, file: string): Metadata<Snapshot>;
function parseMetadata(kind: MetadataKind.Targets, json: JsonObject, file: string): Metadata<Targets>;
function parseMetadata(
  kind: MetadataKind,
  json: JsonObject,
  file: string,
): Metadata<Root | Timestamp | Snapshot | Targets> {
  try {
    // Each key counts once: a repeated signature is dropped here, so it cannot reach the threshold twice.
    const signatures = Array.isArray(json['signatures'])
      ? (json['signatures'] as unknown[])
      : json['signatures'];
    const unique = Array.isArray(signatures)
      ? signatures.filter(
          (sig, index) => signatures.findIndex((other) => keyIdOf(other) === keyIdOf(sig)) === index,
        )
      : signatures;
    const document = { ...json, signatures: unique } as Parameters<typeof Metadata.fromJSON>[1];
    switch (kind) {
      case MetadataKind.Root:
        return Metadata.fromJSON(MetadataKind.Root, document);
      case MetadataKind.Timestamp:
        return Metadata.fromJSON(MetadataKind.Timestamp, document);
      case MetadataKind.Snapshot:
        return Metadata.fromJSON(MetadataKind.Snapshot, document);
      case MetadataKind.Targets:
        return Metadata.fromJSON(MetadataKind.Targets, document);
    }
  } catch (error) {
    throw invalid(file, `cannot be read as TUF ${kind} metadata (${(error as Error).message})`);
  }
}

function keyIdOf(signature: unknown): unknown {
  return typeof signature === 'object' && signature !== null
    ? (signature as { keyid?: unknown }).keyid
    : undefined;
}

function readJson(files: ReadonlyMap<string, Uint8Array>, file: string): JsonObject {
  return parseCanonical(requireFile(files, file), file);
}

function requireFile(files: ReadonlyMap<string, Uint8Array>, file: string): Uint8Array {
  const bytes = files.get(file);
  if (bytes === undefined) {
    throw new DeckhandError(
      'truncated',
      `This bundle is incomplete: ${file} is missing. Copy the whole bundle again from HQ's file.`,
      { file },
    );
  }
  return bytes;
}

function roleOf(root: Root, role: string, where: string): RoleKeys {
  const found = root.roles[role];
  if (found === undefined) throw invalid(where, `has no ${role} role`);
  return found;
}

function sameRole(a: Root, b: Root, role: string): boolean {
  const before = a.roles[role];
  const after = b.roles[role];
  return (
    before !== undefined &&
    after !== undefined &&
    before.threshold === after.threshold &&
    [...before.keyIDs].sort().join() === [...after.keyIDs].sort().join()
  );
}

function verified(
  role: string,
  signed: Timestamp | Snapshot | Targets,
  signers: readonly string[],
): VerifiedRole {
  return { role, version: signed.version, expires: signed.expires, signers };
}

function checkExpiry(role: string, expires: string, now: Date, clockBehind: boolean): void {
  const at = Date.parse(expires);
  if (Number.isNaN(at)) throw invalid(`${role}.json`, 'has an unreadable expiry date');
  if (at > now.getTime()) return;
  throw new DeckhandError(
    'expired',
    `This bundle expired on ${formatDay(expires)} — ask HQ for a fresh one.${
      clockBehind
        ? ` (This laptop's clock reads earlier than a time Deckhand has already seen, ${formatDay(now)}; Deckhand goes by the later time.)`
        : ''
    }`,
    { role, expires },
  );
}

function rollback(role: string, offered: number, trusted: number): DeckhandError {
  return new DeckhandError(
    'rollback',
    `This bundle is older than one already imported on this laptop (${role} version ${offered}, this laptop has ${trusted}). Importing it could roll devices back to older software; use the newer bundle, or ask HQ.`,
    { role, offered, trusted },
  );
}

function mismatch(file: string, expected: number, actual: number): never {
  throw new DeckhandError(
    'invalid_metadata',
    `This bundle was refused: its ${file} is version ${actual} but the metadata above it expects version ${expected}. Parts of different bundles may have been mixed; ask HQ for a fresh bundle.`,
    { file, expected, actual },
  );
}

function rotation(why: string, cause?: unknown): DeckhandError {
  return new DeckhandError(
    'invalid_root_rotation',
    `This bundle was refused: ${why}, so the change of HQ's keys it carries cannot be trusted. Ask HQ.`,
    cause instanceof DeckhandError ? { cause: cause.code } : undefined,
  );
}

function violation(why: string): DeckhandError {
  return new DeckhandError('delegation_violation', `This bundle was refused: ${why}. Tell HQ.`);
}

function invalid(file: string, why: string): DeckhandError {
  return new DeckhandError(
    'invalid_metadata',
    `This bundle was refused: its ${file} ${why}. Ask HQ for a fresh bundle.`,
    { file },
  );
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
