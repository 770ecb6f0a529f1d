/**
 * Wires the Bundles feature into a backend: the blob store, the trust folder, the bundles table,
 * the optional removable-drive watcher, and the verb handlers. backend.ts spreads the handlers into
 * its map, so the feature's wiring stays in one place.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDriveRoots, startDriveWatcher, type DriveWatcher } from '../../adapters/drive-watcher';
import type { Db } from '../../db/database';
import { BundleStore } from '../../db/bundle-store';
import type { VerbHandlers } from '../../ipc/gate';
import { BlobStore } from '../blob-store';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import { BundlesService } from './bundles-service';
import { TrustStore } from './trust-store';

/** The org root slot of a source checkout (`resources/trust/root.json`); packaged apps pass their own. */
export const SOURCE_ORG_ROOT = fileURLToPath(new URL('../../../resources/trust/root.json', import.meta.url));

/** Options of the Bundles feature. */
export interface BundlesOptions {
  /** An org build's shipped root, used when nothing is pinned in the data folder. */
  readonly orgTrustRoot?: string | undefined;
  /** Watch removable drives for bundles (desktop app and browser host; never the CLI). */
  readonly watchDrives?: boolean;
  /** Folders whose subfolders are drives, instead of the platform's mount points (tests). */
  readonly driveRoots?: readonly string[] | undefined;
  /** The desktop app's native file dialog. */
  readonly pickBundleFile?: () => Promise<string | null>;
}

/** The Bundles feature of one open data folder. */
export interface BundlesFeature {
  readonly service: BundlesService;
  readonly handlers: Pick<
    VerbHandlers,
    'bundles.list' | 'bundles.import' | 'bundles.cancelImport' | 'bundles.offers' | 'bundles.pickFile'
  >;
  close(): void;
}

/** Opens the feature over an open database. */
export function openBundlesFeature(deps: {
  readonly db: Db;
  readonly dataDir: string;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly clock?: (() => Date) | undefined;
  readonly options: BundlesOptions;
}): BundlesFeature {
  const { options, events } = deps;
  let watcher: DriveWatcher | null = null;
  if (options.watchDrives) {
    const roots = options.driveRoots
      ? { parents: [...options.driveRoots], volumes: [] }
      : defaultDriveRoots();
    watcher = startDriveWatcher({ ...roots, onChange: (offers) => events.emit('bundle.offers', { offers }) });
  }
  const service = new BundlesService({
    store: new BundleStore(deps.db),
    blobs: new BlobStore(join(deps.dataDir, 'blobs')),
    trust: new TrustStore(join(deps.dataDir, 'trust'), options.orgTrustRoot ?? SOURCE_ORG_ROOT),
    logs: deps.logs,
    events,
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(watcher ? { offers: () => (watcher as DriveWatcher).current() } : {}),
    ...(options.pickBundleFile ? { pickFile: options.pickBundleFile } : {}),
  });
  return {
    service,
    handlers: {
      'bundles.list': () => service.list(),
      'bundles.import': async (input) => {
        const outcome = await service.import(input);
        return { import: outcome.import, copied: outcome.copied, reused: outcome.reused };
      },
      'bundles.cancelImport': (input) => service.cancel(input.jobId),
      'bundles.offers': () => {
        watcher?.scan();
        return service.offers();
      },
      'bundles.pickFile': () => service.pickFile(),
    },
    close: () => watcher?.stop(),
  };
}
