/**
 * Wires the Deploy feature into a backend: the runs table, the service (targets, plans), the engine
 * with the device adapters, the Overview summary, and the verb handlers. Runs the app did not see
 * to the end are resumed when the feature opens in a host that keeps running (not the CLI).
 */
import { doraWindows } from '../../../core/dora/dora';
import type { BundleStore } from '../../db/bundle-store';
import type { Db } from '../../db/database';
import { DeployStore } from '../../db/deploy-store';
import type { VerbHandlers } from '../../ipc/gate';
import type { BlobStore } from '../blob-store';
import type { DevicePins } from '../devices/device-pins';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import { DeployEngine } from './deploy-engine';
import { DeployService } from './deploy-service';
import type { DeviceConnector } from './device-session';

/** Options of the Deploy feature. */
export interface DeployOptions {
  /** The device adapters (composition roots pass createDeviceConnectors()). */
  readonly deviceConnectors?: readonly DeviceConnector[];
  /** The site this laptop works at, recorded with each outcome for HQ's per-site metrics. */
  readonly site?: string | null;
  /** Resume runs a killed app left unfinished (default: hosts with a UI). */
  readonly resumeDeploys?: boolean;
  /** Reconnect tuning (tests). */
  readonly deployRetry?: { readonly attempts?: number; readonly baseDelayMs?: number };
}

/** The Deploy feature of one open data folder. */
export interface DeployFeature {
  readonly service: DeployService;
  readonly engine: DeployEngine;
  readonly handlers: Pick<
    VerbHandlers,
    | 'deploy.targets'
    | 'deploy.plan'
    | 'deploy.start'
    | 'deploy.cancel'
    | 'deploy.runs'
    | 'deploy.retry'
    | 'deploy.rollback'
    | 'overview.summary'
  >;
  close(): void;
}

/** Opens the feature over an open database. */
export function openDeployFeature(deps: {
  readonly db: Db;
  readonly bundles: BundleStore;
  readonly blobs: BlobStore;
  readonly pins: DevicePins;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly clock?: (() => Date) | undefined;
  readonly resume: boolean;
  readonly options: DeployOptions;
}): DeployFeature {
  const store = new DeployStore(deps.db);
  const site = deps.options.site ?? null;
  const service = new DeployService({
    bundles: deps.bundles,
    blobs: deps.blobs,
    site,
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const engine = new DeployEngine({
    store,
    logs: deps.logs,
    events: deps.events,
    connectors: deps.options.deviceConnectors ?? [],
    resolveTarget: (view) => service.resolve(view),
    pinOf: (uri) => deps.pins.get(uri)?.fingerprint ?? null,
    site,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.options.deployRetry ? { retry: deps.options.deployRetry } : {}),
  });
  if (deps.options.resumeDeploys ?? deps.resume) engine.resumeUnfinished();
  const now = (): Date => deps.clock?.() ?? new Date();
  return {
    service,
    engine,
    handlers: {
      'deploy.targets': () => ({ targets: service.targets() }),
      'deploy.plan': (input) =>
        service.plan(engine, service.target(input.target.importId, input.target.path), input.devices),
      'deploy.start': (input) =>
        engine.start({
          target: service.target(input.target.importId, input.target.path),
          devices: input.devices,
          ...(input.concurrency === undefined ? {} : { concurrency: input.concurrency }),
        }),
      'deploy.cancel': (input) => ({ cancelled: engine.cancel(input.runId) }),
      'deploy.runs': (input) => ({ runs: engine.list(input?.limit ?? 50) }),
      'deploy.retry': (input) => engine.retry(input.runId),
      'deploy.rollback': async (input) => {
        const target = input.target ? service.target(input.target.importId, input.target.path) : null;
        const outcome = await engine.rollbackDevice(input.device, target, 'requested by the technician');
        return { detail: outcome.detail };
      },
      'overview.summary': () => ({
        devices: store.latestPerDevice(),
        dora: doraWindows(
          store.outcomes().map((o) => ({ ...o, site })),
          now(),
        ).map((w) => ({ windowDays: w.windowDays, fleet: w.metrics })),
      }),
    },
    close: () => engine.close(),
  };
}
