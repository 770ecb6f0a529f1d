/**
 * The Overview screen's state: the latest deploy outcome of every device deployed to, and DORA
 * metrics over 7, 30 and 90 days. Reloaded when a run changes.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, OverviewView } from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** Overview state and actions. */
export interface OverviewState {
  /** The summary; null until loaded. */
  readonly summary: OverviewView | null;
  readonly error: AppErrorData | null;
  readonly load: () => Promise<void>;
  /** Reloads when a deploy run changes; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

/** Creates the store over 'overview.summary' and the 'deploy.changed' event. */
export function createOverviewStore(
  api: Pick<DeckhandApi, 'overview.summary' | 'on'>,
): StoreApi<OverviewState> {
  return createStore<OverviewState>()((set, get) => {
    // One reload at a time; events that arrive meanwhile cause one more afterwards.
    let loading = false;
    let again = false;
    const reload = async (): Promise<void> => {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      try {
        do {
          again = false;
          await get().load();
        } while (again);
      } finally {
        loading = false;
      }
    };
    return {
      summary: null,
      error: null,
      load: async () => {
        const result = await api['overview.summary'](undefined);
        set(result.ok ? { summary: result.value, error: null } : { error: result.error });
      },
      subscribe: () =>
        api.on('deploy.changed', (payload) => {
          // A device moving step by step changes nothing here; only finished outcomes do.
          if (payload.run.devices.every((d) => d.outcome === 'running' || d.outcome === 'pending')) return;
          void reload();
        }),
    };
  });
}
