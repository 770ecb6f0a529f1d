/** Builds every store the UI uses from one bridge, so the app and tests wire them the same way. */
import type { StoreApi } from 'zustand/vanilla';
import type { BridgeConnection, DeckhandApi } from '../bridge';
import { createAppInfoStore, type AppInfoState } from './app-info-store';
import { createBundlesStore, type BundlesState } from './bundles-store';
import { createConnectionStore, type ConnectionStoreState } from './connection-store';
import { createConsoleStore, type ConsoleState } from './console-store';
import { createDeployStore, type DeployState } from './deploy-store';
import { createDevicesStore, type DevicesState } from './devices-store';
import { createDiagnosticsStore, type DiagnosticsState } from './diagnostics-store';
import { createLogsStore, type LogsState, type LogsStoreOptions } from './logs-store';
import { createOverviewStore, type OverviewState } from './overview-store';
import { createSyncStore, type SyncState } from './sync-store';
import { createThemeStore, type ThemeEnvironment, type ThemeState } from './theme-store';

/** All stores of the app. */
export interface AppStores {
  readonly connection: StoreApi<ConnectionStoreState>;
  readonly appInfo: StoreApi<AppInfoState>;
  readonly theme: StoreApi<ThemeState>;
  readonly logs: StoreApi<LogsState>;
  readonly bundles: StoreApi<BundlesState>;
  readonly sync: StoreApi<SyncState>;
  readonly devices: StoreApi<DevicesState>;
  readonly console: StoreApi<ConsoleState>;
  readonly deploy: StoreApi<DeployState>;
  readonly overview: StoreApi<OverviewState>;
  readonly diagnostics: StoreApi<DiagnosticsState>;
}

/** What the stores need from the outside world. */
export interface AppStoresDeps {
  readonly api: DeckhandApi;
  readonly connection: Pick<BridgeConnection, 'getState' | 'onStateChange'>;
  readonly themeEnvironment: ThemeEnvironment;
  readonly logs?: LogsStoreOptions;
}

/** Creates the stores. */
export function createAppStores(deps: AppStoresDeps): AppStores {
  return {
    connection: createConnectionStore(deps.connection),
    appInfo: createAppInfoStore(deps.api),
    theme: createThemeStore(deps.themeEnvironment),
    logs: createLogsStore(deps.api, deps.logs),
    bundles: createBundlesStore(deps.api),
    sync: createSyncStore(deps.api),
    devices: createDevicesStore(deps.api),
    console: createConsoleStore(deps.api),
    deploy: createDeployStore(deps.api),
    overview: createOverviewStore(deps.api),
    diagnostics: createDiagnosticsStore(deps.api),
  };
}
