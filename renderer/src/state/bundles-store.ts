/**
 * The Bundles screen's state: the trust root, import attempts (refusals included), bundles offered
 * on removable drives, and the running import with its progress. Actions call the bridge; progress
 * and drive offers arrive as events.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BundleImportRow, BundleOffer, DeckhandApi, TrustRow } from '../bridge';
import type { ProgressRecord } from '../../../core/progress/progress-meter';
import type { AppErrorData } from '../../../core/result';

/** The import in progress. */
export interface ImportJob {
  readonly jobId: string;
  readonly path: string;
  readonly cancelling: boolean;
  readonly progress: ProgressRecord | null;
}

/** How the last import ended. */
export type ImportOutcome =
  | {
      readonly kind: 'imported';
      readonly row: BundleImportRow;
      readonly copied: number;
      readonly reused: number;
    }
  | { readonly kind: 'refused'; readonly path: string; readonly error: AppErrorData }
  | { readonly kind: 'cancelled'; readonly path: string };

/** State and actions of the Bundles screen. */
export interface BundlesState {
  readonly trust: TrustRow | null;
  readonly imports: readonly BundleImportRow[];
  /** False until the first list arrives. */
  readonly loaded: boolean;
  readonly loadError: AppErrorData | null;
  readonly offers: readonly BundleOffer[];
  readonly job: ImportJob | null;
  readonly outcome: ImportOutcome | null;
  /** Fetches the list and the drive offers. */
  readonly load: () => Promise<void>;
  /** Imports the bundle at `path`; one import at a time. */
  readonly importPath: (path: string) => Promise<void>;
  /** Asks the backend to cancel the running import. */
  readonly cancel: () => Promise<void>;
  /** Opens the desktop app's file dialog; resolves with the chosen path or null. */
  readonly pickFile: () => Promise<string | null>;
  /** Listens for progress and drive offers; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

type BundlesApi = Pick<
  DeckhandApi,
  'bundles.list' | 'bundles.import' | 'bundles.cancelImport' | 'bundles.offers' | 'bundles.pickFile' | 'on'
>;

/** Creates the store; `newJobId` is injectable for tests. */
export function createBundlesStore(
  api: BundlesApi,
  newJobId: () => string = defaultJobId,
): StoreApi<BundlesState> {
  return createStore<BundlesState>()((set, get) => ({
    trust: null,
    imports: [],
    loaded: false,
    loadError: null,
    offers: [],
    job: null,
    outcome: null,

    load: async () => {
      const [list, offers] = await Promise.all([
        api['bundles.list'](undefined),
        api['bundles.offers'](undefined),
      ]);
      if (list.ok)
        set({ trust: list.value.trust, imports: list.value.imports, loaded: true, loadError: null });
      else set({ loadError: list.error, loaded: true });
      if (offers.ok) set({ offers: offers.value.offers });
    },

    importPath: async (rawPath) => {
      const path = rawPath.trim();
      if (path === '' || get().job !== null) return;
      const jobId = newJobId();
      set({ job: { jobId, path, cancelling: false, progress: null }, outcome: null });
      const result = await api['bundles.import']({ path, jobId });
      if (result.ok) {
        set({
          outcome: {
            kind: 'imported',
            row: result.value.import,
            copied: result.value.copied,
            reused: result.value.reused,
          },
        });
      } else if (result.error.code === 'cancelled') {
        set({ outcome: { kind: 'cancelled', path } });
      } else {
        set({ outcome: { kind: 'refused', path, error: result.error } });
      }
      set({ job: null });
      await get().load();
    },

    cancel: async () => {
      const job = get().job;
      if (job === null || job.cancelling) return;
      set({ job: { ...job, cancelling: true } });
      await api['bundles.cancelImport']({ jobId: job.jobId });
    },

    pickFile: async () => {
      const result = await api['bundles.pickFile'](undefined);
      return result.ok ? result.value.path : null;
    },

    subscribe: () => {
      const offProgress = api.on('progress', (record) => {
        const job = get().job;
        if (job !== null && record.jobId === job.jobId) set({ job: { ...job, progress: record } });
      });
      const offOffers = api.on('bundle.offers', (payload) => set({ offers: payload.offers }));
      return () => {
        offProgress();
        offOffers();
      };
    },
  }));
}

function defaultJobId(): string {
  const cryptoApi = globalThis.crypto as Crypto | undefined;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
