/**
 * Wires the Devices feature into a backend: the manual device table, the pin file, the injected
 * discovery sources, the background refresh (hosts with a UI only) and the verb handlers.
 */
import type { Db } from '../../db/database';
import { DeviceStore } from '../../db/device-store';
import type { VerbHandlers } from '../../ipc/gate';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import { DevicePins } from './device-pins';
import { DEVICE_REFRESH_MS, DevicesService } from './devices-service';
import type { DiscoverySource } from './discovery-source';
import type { DeviceConnector } from '../deploy/device-session';

/** Options of the Devices feature. */
export interface DevicesOptions {
  /** Discovery adapters (mDNS, serial ports, USB); none by default. */
  readonly discoverySources?: readonly DiscoverySource[];
  /** Start discovery and the periodic refresh (default: hosts with a UI, never the CLI). */
  readonly watchDevices?: boolean;
  /** Period of the background refresh (default 10 s). */
  readonly deviceRefreshMs?: number;
}

/** The Devices feature of one open data folder. */
export interface DevicesFeature {
  readonly service: DevicesService;
  readonly handlers: Pick<
    VerbHandlers,
    'devices.list' | 'devices.add' | 'devices.remove' | 'devices.refresh' | 'devices.confirmFingerprint'
  >;
  close(): void;
}

/** Opens the feature over an open database. */
export function openDevicesFeature(deps: {
  readonly db: Db;
  readonly dataDir: string;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly clock?: (() => Date) | undefined;
  readonly version: string;
  readonly watch: boolean;
  readonly options: DevicesOptions;
  /** Adapters for devices that are not Deckhand agents. */
  readonly connectors?: readonly DeviceConnector[];
}): DevicesFeature {
  const service = new DevicesService({
    store: new DeviceStore(deps.db),
    pins: new DevicePins(deps.dataDir),
    logs: deps.logs,
    events: deps.events,
    sources: deps.options.discoverySources ?? [],
    clientVersion: deps.version,
    connectors: deps.connectors ?? [],
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  const stop = deps.watch ? service.watch(deps.options.deviceRefreshMs ?? DEVICE_REFRESH_MS) : null;
  return {
    service,
    handlers: {
      'devices.list': () => service.list(),
      'devices.add': (input) => service.add(input.uri),
      'devices.remove': (input) => service.remove(input.uri),
      'devices.refresh': (input) => service.refresh(input?.uri),
      'devices.confirmFingerprint': (input) => service.confirmFingerprint(input.uri, input.fingerprint),
    },
    close: () => {
      stop?.();
      service.close();
    },
  };
}
