/**
 * The Deploy use cases around the engine: which targets can be deployed (verified, bytes on this
 * laptop), planning a target for devices (each device's real state read from it, then the pure
 * planner), and resolving a stored target into what a device session sends.
 */
import { readFileSync } from 'node:fs';
import { planDeploy, type DowngradeAllowance, type PlanDevice } from '../../../core/deploy/planner';
import { toMetadataSet } from '../../../core/protocol/messages';
import { DeckhandError, toErrorData } from '../../../core/result';
import type { BundleStore } from '../../db/bundle-store';
import type { BundleImportRow, BundleTargetRow } from '../../ipc/bundle-types';
import type { DeployableTarget, DeployPlanView, DeployTargetView } from '../../ipc/deploy-types';
import type { BlobStore } from '../blob-store';
import type { DeployEngine } from './deploy-engine';
import type { DeployTarget } from './device-session';

/** What the service needs. */
export interface DeployServiceDeps {
  readonly bundles: BundleStore;
  readonly blobs: BlobStore;
  readonly site: string | null;
  readonly clock?: () => Date;
}

/** Targets, plans and target resolution. */
export class DeployService {
  readonly #deps: DeployServiceDeps;

  constructor(deps: DeployServiceDeps) {
    this.#deps = deps;
  }

  /** Every release and model of the imported bundles whose bytes are on this laptop, newest import first. */
  targets(): DeployableTarget[] {
    const seen = new Set<string>();
    const out: DeployableTarget[] = [];
    for (const row of this.#deps.bundles.list(1000)) {
      if (row.status !== 'imported') continue;
      for (const target of row.targets) {
        if (target.kind === 'policy' || seen.has(target.path)) continue;
        if (!this.#deps.blobs.has(target.sha256, target.length)) continue;
        seen.add(target.path);
        out.push(deployable(row, target));
      }
    }
    return out;
  }

  /** Finds `NAME@VERSION` (or `NAME` for the newest) among the deployable targets. */
  findTarget(spec: string): DeployableTarget {
    const at = spec.lastIndexOf('@');
    const name = at > 0 ? spec.slice(0, at) : spec;
    const version = at > 0 ? spec.slice(at + 1) : null;
    const found = this.#deps.bundles.findTarget(name, version);
    if (found === undefined || !this.#deps.blobs.has(found.target.sha256, found.target.length))
      throw new DeckhandError(
        'not_found',
        `No imported bundle holds ${spec}. Import the bundle that carries it first (deckhand import FILE.dhb).`,
      );
    return deployable(found.importRow, found.target);
  }

  /** The target with the given import and path. */
  target(importId: number, path: string): DeployableTarget {
    const row = this.#deps.bundles.get(importId);
    const target = row?.targets.find((t) => t.path === path);
    if (row === undefined || target === undefined)
      throw new DeckhandError('not_found', `Import ${importId} holds no target ${path}.`);
    return deployable(row, target);
  }

  /** Plans a target for devices, reading each device's state through the engine's connectors. */
  async plan(
    engine: DeployEngine,
    target: DeployableTarget,
    devices: readonly string[],
  ): Promise<DeployPlanView> {
    const row = this.#deps.bundles.get(target.importId);
    const custom = row?.targets.find((t) => t.path === target.path)?.custom ?? {};
    const snapshots = await Promise.all(
      devices.map(
        async (uri): Promise<PlanDevice | { uri: string; error: { code: string; message: string } }> => {
          try {
            const session = await engine.connect(uri);
            try {
              const snap = await session.snapshot();
              return { uri: session.uri, ...snap };
            } finally {
              await session.close();
            }
          } catch (error) {
            const data = toErrorData(error);
            return { uri, error: { code: data.code, message: data.message } };
          }
        },
      ),
    );
    const reachable = snapshots.filter((s): s is PlanDevice => !('error' in s));
    const plans = planDeploy(
      {
        path: target.path,
        kind: target.kind,
        name: target.name,
        version: target.version,
        length: target.length,
        releaseCounter: numberOr(custom['releaseCounter'], 0),
        hardware: target.hardware,
        requires: stringsOf(custom['requires']) ?? [],
        sites: stringsOf(custom['sites']),
        devices: stringsOf(custom['devices']),
      },
      reachable,
      {
        now: this.#deps.clock?.() ?? new Date(),
        bundleExpires: target.bundleExpires,
        site: this.#deps.site,
        downgrades: row ? this.#downgrades(row) : [],
      },
    );
    return {
      target,
      devices: snapshots.map((snap) => {
        if ('error' in snap)
          return { device: snap.uri, action: 'refuse', code: snap.error.code, reason: snap.error.message };
        const plan = plans.find((p) => p.device === snap.uri);
        if (plan === undefined || plan.action === 'refuse')
          return {
            device: snap.uri,
            action: 'refuse',
            code: plan?.code ?? 'internal',
            reason: plan?.reason ?? null,
          };
        return { device: snap.uri, action: plan.action, code: null, reason: plan.note };
      }),
    };
  }

  /** What a device session sends for a stored target: bytes, HQ's metadata, install instructions. */
  resolve(view: DeployTargetView): DeployTarget {
    const row = this.#deps.bundles.get(view.importId);
    const target = row?.targets.find((t) => t.path === view.path && t.sha256 === view.sha256);
    if (row === undefined || target === undefined)
      throw new DeckhandError(
        'not_found',
        `The bundle that carried ${view.name} ${view.version} is no longer on this laptop.`,
      );
    if (!this.#deps.blobs.has(target.sha256, target.length))
      throw new DeckhandError(
        'not_found',
        `The bytes of ${view.name} ${view.version} are missing from this laptop; import the bundle again.`,
      );
    const files = this.#deps.bundles.metadataFiles(view.importId);
    if (files.size === 0)
      throw new DeckhandError(
        'not_found',
        `The bundle of ${view.name} ${view.version} was imported by an older Deckhand that did not keep HQ's metadata; import it again.`,
      );
    const install = (target.custom['install'] ?? {}) as { method?: string; params?: Record<string, unknown> };
    return {
      path: target.path,
      kind: target.kind,
      name: target.name,
      version: target.version,
      sha256: target.sha256,
      length: target.length,
      filePath: this.#deps.blobs.pathOf(target.sha256),
      releaseCounter: numberOr(target.custom['releaseCounter'], 0),
      hardware: target.hardware,
      install: { method: install.method ?? 'copy', params: install.params ?? {} },
      custom: target.custom,
      metadata: toMetadataSet(files),
    };
  }

  /** HQ-signed downgrade allowances: policy targets of the same import listing `downgrades`. */
  #downgrades(row: BundleImportRow): DowngradeAllowance[] {
    const out: DowngradeAllowance[] = [];
    for (const target of row.targets) {
      if (target.kind !== 'policy' || !this.#deps.blobs.has(target.sha256, target.length)) continue;
      try {
        const policy = JSON.parse(readFileSync(this.#deps.blobs.pathOf(target.sha256), 'utf8')) as {
          downgrades?: { name?: unknown; version?: unknown; devices?: unknown }[];
        };
        for (const entry of policy.downgrades ?? [])
          if (typeof entry.name === 'string' && typeof entry.version === 'string')
            out.push({ name: entry.name, version: entry.version, devices: stringsOf(entry.devices) });
      } catch {
        // A policy that is not JSON grants nothing.
      }
    }
    return out;
  }
}

function deployable(row: BundleImportRow, target: BundleTargetRow): DeployableTarget {
  const install = target.custom['install'] as { method?: string } | undefined;
  const createdAt = target.custom['createdAt'];
  return {
    path: target.path,
    kind: target.kind,
    name: target.name,
    version: target.version,
    sha256: target.sha256,
    length: target.length,
    importId: row.id,
    ...(typeof createdAt === 'string' ? { createdAt } : {}),
    hardware: target.hardware,
    installMethod: install?.method ?? 'copy',
    bundleExpires: row.expires,
  };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}
