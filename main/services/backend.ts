/**
 * Opens the backend that every host shares (the Electron window, the browser host, the CLI): the
 * database in the data folder, the services, and the verb handlers the IPC gate calls.
 */
import { join } from 'node:path';
import { openDatabase } from '../db/database';
import { EventLogStore } from '../db/event-log-store';
import { SyncStore } from '../db/sync-store';
import { createHttpsHqClient } from '../adapters/hq-client';
import { createDeviceConnectors } from '../adapters/device-connectors';
import { openConsolePort } from '../adapters/serial-console/serial-console-port';
import type { VerbHandlers } from '../ipc/gate';
import { openBundlesFeature, type BundlesOptions } from './bundles/bundles-backend';
import { ConsoleService } from './console/console-service';
import type { BundlesService } from './bundles/bundles-service';
import { openDevicesFeature, type DevicesOptions } from './devices/devices-backend';
import type { DevicesService } from './devices/devices-service';
import { DevicePins } from './devices/device-pins';
import { openDiagnosticsFeature } from './diagnostics/diagnostics-backend';
import type { DiagnosticsService } from './diagnostics/diagnostics-service';
import { openDeployFeature, type DeployFeature, type DeployOptions } from './deploy/deploy-backend';
import { BundleStore } from '../db/bundle-store';
import { BlobStore } from './blob-store';
import { createEventBus, type EventBus } from './event-bus';
import { LogsService } from './logs-service';
import { SyncService, type HqClientFactory, type SyncPolicy } from './sync-service';
import { TechnicianKey, type KeyProtector } from './technician-key';

export interface BackendOptions extends BundlesOptions, DevicesOptions, DeployOptions {
  readonly dataDir: string;
  readonly host: 'electron' | 'browser' | 'cli';
  readonly version: string;
  /** better-sqlite3 built for Electron's ABI, when running unpackaged in Electron. */
  readonly nativeBinding?: string | undefined;
  readonly clock?: () => Date;
  /** Protects the technician key: safeStorage in Electron, a passphrase from the CLI; null: none yet. */
  readonly keyProtector?: KeyProtector | null;
  /** How to reach HQ (tests pass a fake or a proxy-aware client). */
  readonly hqClientFactory?: HqClientFactory;
  readonly syncPolicy?: Partial<SyncPolicy>;
}

/** The services and handler map of one open data folder. */
export interface Backend {
  readonly dataDir: string;
  readonly handlers: VerbHandlers;
  readonly events: EventBus;
  readonly logs: LogsService;
  readonly sync: SyncService;
  readonly bundles: BundlesService;
  readonly devices: DevicesService;
  readonly deploy: DeployFeature;
  readonly diagnostics: DiagnosticsService;
  close(): void;
}

/** Opens the data folder; throws a coded DeckhandError (db_locked, db_readonly, db_corrupt, disk_full). */
export function openBackend(options: BackendOptions): Backend {
  const db = openDatabase(options.dataDir, { nativeBinding: options.nativeBinding });
  const events = createEventBus((error) => console.error('deckhand: an event listener failed', error));
  const logStore = new EventLogStore(db, options.clock);
  const logs = new LogsService(logStore, events);
  const technicianKey = new TechnicianKey(options.dataDir, options.keyProtector ?? null);
  if (options.keyProtector) {
    // The identity is created at first run, so it exists before the first sync or export.
    try {
      technicianKey.ensure();
    } catch (error) {
      console.error('deckhand: could not create the technician key', error);
    }
  }
  const sync = new SyncService({
    log: logStore,
    store: new SyncStore(db),
    key: technicianKey,
    events,
    clientFactory: options.hqClientFactory ?? createHttpsHqClient,
    ...(options.syncPolicy ? { policy: options.syncPolicy } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });

  const bundles = openBundlesFeature({
    db,
    dataDir: options.dataDir,
    logs,
    events,
    clock: options.clock,
    options,
  });

  const connectors =
    options.deviceConnectors ??
    createDeviceConnectors({ clientVersion: options.version, dataDir: options.dataDir });
  const devices = openDevicesFeature({
    connectors,
    db,
    dataDir: options.dataDir,
    logs,
    events,
    clock: options.clock,
    version: options.version,
    watch: options.watchDevices ?? options.host !== 'cli',
    options,
  });

  const deploy = openDeployFeature({
    db,
    bundles: new BundleStore(db),
    blobs: new BlobStore(join(options.dataDir, 'blobs')),
    pins: new DevicePins(options.dataDir),
    logs,
    events,
    clock: options.clock,
    resume: options.host !== 'cli',
    options: { ...options, deviceConnectors: connectors },
  });

  const diagnostics = openDiagnosticsFeature({
    logs,
    events,
    bundles: bundles.service,
    pins: new DevicePins(options.dataDir),
    version: options.version,
    clock: options.clock,
  });

  const consoles = new ConsoleService({ openPort: openConsolePort, logs, events });

  const handlers: VerbHandlers = {
    'app.info': () => ({
      name: 'Deckhand',
      version: options.version,
      dataDir: options.dataDir,
      host: options.host,
      platform: process.platform,
    }),
    'logs.query': (input) => logs.query(input),
    'logs.facets': () => logs.facets(),
    'logs.verify': () => logs.verify(),
    ...bundles.handlers,
    'sync.status': (input) => sync.status({ probe: input?.probe ?? false }),
    'sync.enrol': (input) => sync.enrol(input),
    'sync.now': async () => {
      const outcome = await sync.syncNow();
      const { receipt, signature } = outcome.receipt;
      return {
        sent: outcome.sent,
        batches: outcome.batches,
        receipt: { size: receipt.size, head: receipt.head, time: receipt.time, signature },
      };
    },
    'sync.cancel': () => ({ cancelled: sync.cancel() }),
    ...devices.handlers,
    ...deploy.handlers,
    ...diagnostics.handlers,
    'console.open': (input) => consoles.open(input),
    'console.write': (input) => consoles.write(input),
    'console.close': (input) => consoles.close(input),
  };

  return {
    dataDir: options.dataDir,
    handlers,
    events,
    logs,
    sync,
    bundles: bundles.service,
    devices: devices.service,
    deploy,
    diagnostics: diagnostics.service,
    close: () => {
      consoles.closeAll();
      deploy.close();
      devices.close();
      bundles.close();
      db.close();
    },
  };
}
