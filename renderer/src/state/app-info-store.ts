/** Facts about the running app (version, data folder, host) for the Settings screen. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, VerbOutput } from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** What 'app.info' returns. */
export type AppInfo = VerbOutput<'app.info'>;

/** The app info and how loading it went. */
export interface AppInfoState {
  readonly info: AppInfo | null;
  readonly error: AppErrorData | null;
  readonly loading: boolean;
  /** Asks the backend for the app info; a second call while one is running does nothing. */
  readonly load: () => Promise<void>;
}

/** Creates the store; `api` needs only the 'app.info' verb. */
export function createAppInfoStore(api: Pick<DeckhandApi, 'app.info'>): StoreApi<AppInfoState> {
  return createStore<AppInfoState>()((set, get) => ({
    info: null,
    error: null,
    loading: false,
    load: async () => {
      if (get().loading) return;
      set({ loading: true });
      const result = await api['app.info'](undefined);
      set(
        result.ok
          ? { info: result.value, error: null, loading: false }
          : { error: result.error, loading: false },
      );
    },
  }));
}
