/**
 * The light/dark choice. It defaults to the system's preference and, once the technician picks one,
 * is kept in localStorage so the next start (often in bright sun or a dark control room) keeps it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';

/** What the technician chose. */
export type ThemePreference = 'system' | 'light' | 'dark';

/** What the UI actually renders. */
export type Appearance = 'light' | 'dark';

/** The localStorage key holding the preference. */
export const THEME_STORAGE_KEY = 'deckhand.theme';

/** Theme choice plus the appearance it resolves to. */
export interface ThemeState {
  readonly preference: ThemePreference;
  readonly systemPrefersDark: boolean;
  /** Stores and applies a new preference. */
  readonly setPreference: (preference: ThemePreference) => void;
}

/** The browser pieces the theme store reads, passed in so tests can fake them. */
export interface ThemeEnvironment {
  readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  readonly matchMedia: ((query: string) => Pick<MediaQueryList, 'matches' | 'addEventListener'>) | null;
}

/** Resolves a preference to the appearance to render. */
export function resolveAppearance(state: Pick<ThemeState, 'preference' | 'systemPrefersDark'>): Appearance {
  if (state.preference === 'system') return state.systemPrefersDark ? 'dark' : 'light';
  return state.preference;
}

/** Creates the store, reading the saved preference and following system changes. */
export function createThemeStore(env: ThemeEnvironment): StoreApi<ThemeState> {
  const query = env.matchMedia?.('(prefers-color-scheme: dark)') ?? null;
  const store = createStore<ThemeState>()((set) => ({
    preference: readPreference(env.storage),
    systemPrefersDark: query?.matches ?? false,
    setPreference: (preference) => {
      try {
        env.storage?.setItem(THEME_STORAGE_KEY, preference);
      } catch {
        // Storage can be full or disabled; the choice still applies for this session.
      }
      set({ preference });
    },
  }));
  query?.addEventListener('change', (event) => store.setState({ systemPrefersDark: event.matches }));
  return store;
}

/** The browser's own storage and media queries, when present. */
export function browserThemeEnvironment(): ThemeEnvironment {
  let storage: Storage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    // Some sandboxed pages throw on access; fall back to not remembering.
  }
  return {
    storage,
    matchMedia: typeof window.matchMedia === 'function' ? (q) => window.matchMedia(q) : null,
  };
}

function readPreference(storage: ThemeEnvironment['storage']): ThemePreference {
  let saved: string | null = null;
  try {
    saved = storage?.getItem(THEME_STORAGE_KEY) ?? null;
  } catch {
    saved = null;
  }
  return saved === 'light' || saved === 'dark' || saved === 'system' ? saved : 'system';
}
