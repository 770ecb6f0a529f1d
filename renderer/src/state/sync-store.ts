/**
 * The Sync screen's state: where the laptop stands with HQ (enrolment, pending events, last
 * receipt, reachability), the running sync's progress, and the actions that enrol and sync.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, EventPayloads, VerbInput, VerbOutput } from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** What 'sync.status' returns. */
export type SyncStatusView = VerbOutput<'sync.status'>;

/** The progress job id the backend uses for a sync. */
export const SYNC_JOB = 'sync';

/** Sync state and actions. */
export interface SyncState {
  readonly status: SyncStatusView | null;
  /** The last failed status load, enrolment or sync. */
  readonly error: AppErrorData | null;
  readonly enrolling: boolean;
  readonly syncing: boolean;
  readonly progress: EventPayloads['progress'] | null;
  /** Events HQ acknowledged in the last sync, for the confirmation line. */
  readonly lastSent: number | null;
  /** Reloads the status; `probe` asks HQ whether it answers. */
  readonly load: (probe?: boolean) => Promise<void>;
  readonly enrol: (input: VerbInput<'sync.enrol'>) => Promise<boolean>;
  readonly syncNow: () => Promise<void>;
  readonly cancel: () => Promise<void>;
  /** Listens for progress and new events; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

/** Creates the store over the sync verbs and the 'progress' and 'log.appended' events. */
export function createSyncStore(
  api: Pick<DeckhandApi, 'sync.status' | 'sync.enrol' | 'sync.now' | 'sync.cancel' | 'on'>,
): StoreApi<SyncState> {
  return createStore<SyncState>()((set, get) => ({
    status: null,
    error: null,
    enrolling: false,
    syncing: false,
    progress: null,
    lastSent: null,

    load: async (probe = false) => {
      const result = await api['sync.status'](probe ? { probe: true } : undefined);
      set(result.ok ? { status: result.value } : { error: result.error });
    },

    enrol: async (input) => {
      if (get().enrolling) return false;
      set({ enrolling: true, error: null });
      const result = await api['sync.enrol'](input);
      set(result.ok ? { status: result.value, enrolling: false } : { error: result.error, enrolling: false });
      if (result.ok) void get().load(true);
      return result.ok;
    },

    syncNow: async () => {
      if (get().syncing) return;
      set({ syncing: true, error: null, progress: null, lastSent: null });
      const result = await api['sync.now'](undefined);
      set(
        result.ok ? { syncing: false, lastSent: result.value.sent } : { syncing: false, error: result.error },
      );
      await get().load(true);
    },

    cancel: async () => {
      await api['sync.cancel'](undefined);
    },

    subscribe: () => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const offProgress = api.on('progress', (record) => {
        if (record.jobId === SYNC_JOB) set({ progress: record });
      });
      const offAppended = api.on('log.appended', () => {
        if (timer !== null || get().syncing) return;
        timer = setTimeout(() => {
          timer = null;
          void get().load(false);
        }, 500);
      });
      return () => {
        offProgress();
        offAppended();
        if (timer !== null) clearTimeout(timer);
      };
    },
  }));
}
