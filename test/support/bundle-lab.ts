/**
 * Builds real bundles for tests, with every way of getting them wrong: keys generated in memory, a
 * root chain that can rotate, metadata signed by the production builder, and helpers that rewrite
 * and re-sign one role (cascading snapshot and timestamp) or write tars with hostile entries.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { canonicalize } from '@tufjs/canonical-json';
import { pack as createPack, type Header } from 'tar-stream';
import { targetEntryName } from '../../core/bundle/bundle-layout';
import {
  ALL_ROLES,
  TOP_LEVEL_ROLES,
  buildBundleMetadata,
  buildRoot,
  documentBytes,
  keyIdOf,
  signDocument,
  type RoleName,
} from '../../core/bundle/metadata-builder';
import { targetPathFor, type TargetKind } from '../../core/bundle/target-info';
import { encodeCanonical, type JsonObject } from '../../core/bundle/tuf-json';
import { generateRoleKey, type RoleKey } from '../../main/services/bundles/key-ring';

/** A target to put in a test bundle. */
export interface LabTarget {
  readonly kind: TargetKind;
  readonly name: string;
  readonly version: string;
  readonly file: string;
  readonly content: Buffer;
  readonly hardware?: readonly string[];
}

/** One tar entry (hostile ones included). */
export interface LabEntry {
  readonly header: Partial<Header> & { readonly name: string };
  readonly data?: Buffer;
}

/** A small release and model. */
export function sampleTargets(tag = 'a'): LabTarget[] {
  return [
    {
      kind: 'release',
      name: 'edge-app',
      version: '2.4.1',
      file: 'app.img',
      content: Buffer.alloc(70_000, tag),
    },
    {
      kind: 'model',
      name: 'detector',
      version: '1.0',
      file: 'model.onnx',
      content: Buffer.from(`model-${tag}`),
    },
  ];
}

const DAY = 86_400_000;

/** Keys and a root chain; makes bundle files. */
export class BundleLab {
  keys: Record<RoleName, RoleKey[]>;
  readonly rootChain: JsonObject[] = [];
  thresholds: Partial<Record<(typeof TOP_LEVEL_ROLES)[number], number>> = {};

  constructor(options: { thresholds?: Partial<Record<(typeof TOP_LEVEL_ROLES)[number], number>> } = {}) {
    this.thresholds = options.thresholds ?? {};
    this.keys = Object.fromEntries(
      ALL_ROLES.map((role) => [
        role,
        Array.from({ length: this.thresholds[role as 'root'] ?? 1 }, generateRoleKey),
      ]),
    ) as Record<RoleName, RoleKey[]>;
    this.rootChain.push(this.#root(1, this.keys.root));
  }

  /** The current root's bytes (what a laptop pins). */
  rootBytes(version = this.rootChain.length): Uint8Array {
    return encodeCanonical(this.rootChain[version - 1]);
  }

  /** Issues the next root, optionally with a new key for a role, signed by old and new root keys (or as given). */
  rotate(
    options: {
      replace?: RoleName;
      signers?: 'old-and-new' | 'new-only';
      extraKeys?: Record<string, JsonObject>;
    } = {},
  ): RoleKey | null {
    const old = this.keys.root;
    let retired: RoleKey | null = null;
    if (options.replace) {
      retired = this.keys[options.replace][0] ?? null;
      this.keys = {
        ...this.keys,
        [options.replace]: this.keys[options.replace].map(() => generateRoleKey()),
      };
    }
    const signers = options.signers === 'new-only' ? this.keys.root : uniqueKeys([...old, ...this.keys.root]);
    this.rootChain.push(this.#root(this.rootChain.length + 1, signers, options.extraKeys));
    return retired;
  }

  /** Signed metadata files for a bundle. */
  metadata(options: {
    version: number;
    expires?: Date;
    targets?: readonly LabTarget[];
    rootChain?: readonly JsonObject[];
  }): Map<string, Uint8Array> {
    const targets = options.targets ?? sampleTargets();
    return buildBundleMetadata({
      rootChain: options.rootChain ?? this.rootChain,
      keys: {
        targets: this.keys.targets,
        snapshot: this.keys.snapshot,
        timestamp: this.keys.timestamp,
        releases: this.keys.releases,
        models: this.keys.models,
      },
      targets: targets.map((t) => ({
        path: targetPathFor(t, t.file),
        length: t.content.length,
        sha256: sha256(t.content),
        custom: {
          kind: t.kind,
          name: t.name,
          version: t.version,
          hardware: [...(t.hardware ?? ['jetson-orin'])],
        },
      })),
      version: options.version,
      expires: options.expires ?? new Date(Date.now() + 30 * DAY),
    });
  }

  /**
   * Rewrites one targets-type role's signed part, re-signs it (with `signers`, default its own keys),
   * then re-pins it in snapshot and re-signs snapshot and timestamp, as a compromised-role attacker
   * who still holds the snapshot and timestamp keys could.
   */
  rewriteRole(
    files: Map<string, Uint8Array>,
    role: string,
    edit: (signed: JsonObject, json: JsonObject) => void,
    signers?: readonly RoleKey[],
  ): void {
    const file = `${role}.json`;
    const json = JSON.parse(Buffer.from(files.get(file) as Uint8Array).toString()) as JsonObject;
    edit(json['signed'] as JsonObject, json);
    const keys = signers ?? this.keys[role as RoleName] ?? this.keys.targets;
    files.set(file, resign(json, keys));
    if (role === 'timestamp') return;
    if (role !== 'snapshot') {
      this.rewriteRole(files, 'snapshot', (signed) => {
        const meta = signed['meta'] as Record<string, JsonObject>;
        meta[file] = metaOf((meta[file]?.['version'] as number) ?? 1, files.get(file) as Uint8Array);
      });
      return;
    }
    this.rewriteRole(files, 'timestamp', (signed) => {
      const meta = signed['meta'] as Record<string, JsonObject>;
      meta['snapshot.json'] = metaOf(
        meta['snapshot.json']?.['version'] as number,
        files.get('snapshot.json') as Uint8Array,
      );
    });
  }

  #root(version: number, signers: readonly RoleKey[], extraKeys?: Record<string, JsonObject>): JsonObject {
    const root = buildRoot({
      version,
      expires: new Date(Date.now() + 365 * DAY),
      keys: Object.fromEntries(
        TOP_LEVEL_ROLES.map((role) => [role, this.keys[role].map((k) => k.publicHex)]),
      ) as Record<(typeof TOP_LEVEL_ROLES)[number], string[]>,
      thresholds: this.thresholds,
    });
    const json = signDocument(root, signers).toJSON() as JsonObject;
    if (extraKeys) {
      Object.assign((json['signed'] as JsonObject)['keys'] as JsonObject, extraKeys);
      return JSON.parse(Buffer.from(resign(json, signers)).toString()) as JsonObject;
    }
    return JSON.parse(Buffer.from(documentBytes(signDocument(root, signers))).toString()) as JsonObject;
  }
}

/** Re-signs a document's signed part with `keys` (replacing its signatures); returns canonical bytes. */
export function resign(json: JsonObject, keys: readonly RoleKey[]): Uint8Array {
  const data = Buffer.from(canonicalize(json['signed']));
  json['signatures'] = keys.map((key) => ({ keyid: keyIdOf(key.publicHex), sig: key.sign(data) }));
  return encodeCanonical(json);
}

/** The standard tar entries of a bundle: metadata, then each target under its consistent name. */
export function bundleEntries(
  files: ReadonlyMap<string, Uint8Array>,
  targets: readonly LabTarget[] = sampleTargets(),
): LabEntry[] {
  const entries: LabEntry[] = [...files].map(([name, data]) => ({
    header: { name: `metadata/${name}` },
    data: Buffer.from(data),
  }));
  for (const target of targets) {
    entries.push({
      header: { name: targetEntryName(targetPathFor(target, target.file), sha256(target.content)) },
      data: target.content,
    });
  }
  return entries;
}

/** Writes entries as a tar (tar-stream, the same writer HQ uses). */
export async function writeTar(file: string, entries: readonly LabEntry[]): Promise<string> {
  mkdirSync(dirname(file), { recursive: true });
  const pack = createPack();
  const done = pipeline(pack, createWriteStream(file));
  for (const entry of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = {
        ...entry.header,
        mode: entry.header.mode ?? 0o644,
        mtime: entry.header.mtime ?? new Date(0),
        size: entry.header.size ?? entry.data?.length ?? 0,
      };
      pack.entry(header, entry.data ?? Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return file;
}

/** Writes a bundle in the folder layout. */
export function writeFolder(dir: string, entries: readonly LabEntry[]): string {
  for (const entry of entries) {
    const path = join(dir, entry.header.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entry.data ?? Buffer.alloc(0));
  }
  return dir;
}

/** Lowercase hex SHA-256. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function metaOf(version: number, bytes: Uint8Array): JsonObject {
  return { version, length: bytes.length, hashes: { sha256: sha256(bytes) } };
}

function uniqueKeys(keys: readonly RoleKey[]): RoleKey[] {
  return keys.filter((key, index) => keys.findIndex((other) => other.keyId === key.keyId) === index);
}
