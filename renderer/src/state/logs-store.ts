/**
 * The deploy log as the Logs screen sees it: a total, a sparse cache of fixed-size pages (the log can
 * hold hundreds of thousands of events, so only pages the technician scrolls to are fetched), the
 * filter menus' facets, and the result of the last chain check.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, EventPayloads, LogRow, VerbOutput } from '../bridge';
import type { ChainStatus } from '../../../core/eventlog/event-types';
import type { AppErrorData } from '../../../core/result';

/** Rows per request; well under the contract's MAX_PAGE so a scroll step costs one small query. */
export const PAGE_SIZE = 100;

/** Pages kept in memory; beyond this the ones farthest from the view are dropped and refetched on return. */
export const MAX_CACHED_PAGES = 200;

/** The table's filters; null means "All". */
export interface LogsFilter {
  readonly kind: string | null;
  readonly device: string | null;
}

/** One cached page and the data version it was fetched at. */
export interface CachedPage {
  readonly rows: readonly LogRow[];
  /** Pages fetched before the latest append are shown but refetched, since offsets shifted. */
  readonly version: number;
}

/** The last chain check and what happened since. */
export type ChainCheck =
  | { readonly phase: 'idle' }
  | { readonly phase: 'checking'; readonly previous: ChainStatus | null }
  | { readonly phase: 'done'; readonly status: ChainStatus; readonly newSince: number }
  | { readonly phase: 'failed'; readonly error: AppErrorData };

/** The values the filter menus offer. */
export type LogFacets = VerbOutput<'logs.facets'>;

/** Logs screen state and the actions that talk to the backend. */
export interface LogsState {
  readonly filter: LogsFilter;
  /** Events matching the filter, or null until the first page for this filter arrives. */
  readonly total: number | null;
  readonly pages: ReadonlyMap<number, CachedPage>;
  /** Bumped whenever an appended event shifts offsets. */
  readonly version: number;
  /** The last failed page fetch, shown until a retry or a new filter. */
  readonly error: AppErrorData | null;
  readonly facets: LogFacets | null;
  readonly facetsError: AppErrorData | null;
  readonly chain: ChainCheck;
  /** Makes sure rows `start`..`end` (inclusive) are loaded or loading; called as the view scrolls. */
  readonly ensureRows: (start: number, end: number) => void;
  /** Applies a new filter: drops the cache, resets the total, fetches the first page. */
  readonly setFilter: (filter: LogsFilter) => void;
  /** Marks every cached page stale and refetches the ones in view (used when the screen opens). */
  readonly refresh: () => void;
  /** Clears the last error and fetches what is in view again. */
  readonly retry: () => void;
  readonly loadFacets: () => Promise<void>;
  /** Walks the whole chain on the backend; a second call while one runs does nothing. */
  readonly verifyChain: () => Promise<void>;
  /** Listens for new events; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

/** Tuning for tests and the app. */
export interface LogsStoreOptions {
  /** Appends arrive in bursts during a deploy; refetch at most this often. */
  readonly refreshDelayMs?: number;
}

/** The row at `index`, or undefined while its page is not loaded. */
export function rowAt(state: Pick<LogsState, 'pages'>, index: number): LogRow | undefined {
  return state.pages.get(Math.floor(index / PAGE_SIZE))?.rows[index % PAGE_SIZE];
}

/** Creates the store over the logs verbs and the 'log.appended' event. */
export function createLogsStore(
  api: Pick<DeckhandApi, 'logs.query' | 'logs.facets' | 'logs.verify' | 'on'>,
  options: LogsStoreOptions = {},
): StoreApi<LogsState> {
  const refreshDelayMs = options.refreshDelayMs ?? 250;
  // Bumped by each filter change; replies for an older epoch belong to another result set.
  let epoch = 0;
  const inFlight = new Set<string>();
  let lastRange = { start: 0, end: 0 };
  let refreshTimer: ReturnType<typeof setTimeout> | null = null;

  const store = createStore<LogsState>()((set, get) => {
    const fetchPage = async (page: number): Promise<void> => {
      const { version, filter } = get();
      const key = `${epoch}:${version}:${page}`;
      if (inFlight.has(key)) return;
      inFlight.add(key);
      const requestEpoch = epoch;
      const result = await api['logs.query']({
        offset: page * PAGE_SIZE,
        limit: PAGE_SIZE,
        ...(filter.kind === null ? {} : { kind: filter.kind }),
        ...(filter.device === null ? {} : { device: filter.device }),
      });
      inFlight.delete(key);
      if (requestEpoch !== epoch) return;
      if (!result.ok) {
        set({ error: result.error });
        return;
      }
      const current = get();
      const pages = new Map(current.pages);
      pages.set(page, { rows: result.value.rows, version });
      evictFarPages(pages, lastRange);
      // A reply from before the latest append carries an outdated total; keep the newer one.
      const total =
        version === current.version || current.total === null ? result.value.total : current.total;
      set({ pages, total });
      if (version !== current.version) get().ensureRows(lastRange.start, lastRange.end);
    };

    return {
      filter: { kind: null, device: null },
      total: null,
      pages: new Map(),
      version: 0,
      error: null,
      facets: null,
      facetsError: null,
      chain: { phase: 'idle' },

      ensureRows: (start, end) => {
        lastRange = { start: Math.max(0, start), end: Math.max(start, end) };
        const { total, pages, version, error } = get();
        // After a failure, wait for an explicit retry instead of hammering the backend on every scroll.
        if (error !== null) return;
        const first = Math.floor(lastRange.start / PAGE_SIZE);
        let last = Math.floor(lastRange.end / PAGE_SIZE);
        if (total !== null) last = Math.min(last, Math.max(0, Math.ceil(total / PAGE_SIZE) - 1));
        for (let page = first; page <= last; page += 1) {
          if (pages.get(page)?.version === version) continue;
          void fetchPage(page);
        }
      },

      setFilter: (filter) => {
        const current = get().filter;
        if (current.kind === filter.kind && current.device === filter.device) return;
        epoch += 1;
        inFlight.clear();
        set({ filter, total: null, pages: new Map(), error: null });
        get().ensureRows(0, 0);
      },

      refresh: () => {
        const { pages, version } = get();
        if (pages.size > 0) set({ version: version + 1 });
        get().ensureRows(lastRange.start, lastRange.end);
      },

      retry: () => {
        set({ error: null });
        get().ensureRows(lastRange.start, lastRange.end);
      },

      loadFacets: async () => {
        const result = await api['logs.facets'](undefined);
        set(result.ok ? { facets: result.value, facetsError: null } : { facetsError: result.error });
      },

      verifyChain: async () => {
        const { chain } = get();
        if (chain.phase === 'checking') return;
        set({ chain: { phase: 'checking', previous: chain.phase === 'done' ? chain.status : null } });
        const result = await api['logs.verify'](undefined);
        set({
          chain: result.ok
            ? { phase: 'done', status: result.value, newSince: 0 }
            : { phase: 'failed', error: result.error },
        });
      },

      subscribe: () => {
        const off = api.on('log.appended', (payload) => noteAppended(payload));
        return () => {
          off();
          if (refreshTimer !== null) clearTimeout(refreshTimer);
          refreshTimer = null;
        };
      },
    };
  });

  const noteAppended = (event: EventPayloads['log.appended']): void => {
    const { facets, filter, chain } = store.getState();
    if (facets !== null) {
      const kinds = facets.kinds.includes(event.kind) ? facets.kinds : [...facets.kinds, event.kind].sort();
      const devices =
        event.device === null || facets.devices.includes(event.device)
          ? facets.devices
          : [...facets.devices, event.device].sort();
      if (kinds !== facets.kinds || devices !== facets.devices)
        store.setState({ facets: { kinds, devices } });
    }
    if (chain.phase === 'done') store.setState({ chain: { ...chain, newSince: chain.newSince + 1 } });
    const matches =
      (filter.kind === null || filter.kind === event.kind) &&
      (filter.device === null || filter.device === event.device);
    if (!matches || refreshTimer !== null) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      store.getState().refresh();
    }, refreshDelayMs);
  };

  return store;
}

/** Keeps the cache bounded by dropping the pages farthest from what is on screen. */
function evictFarPages(
  pages: Map<number, CachedPage>,
  range: { readonly start: number; readonly end: number },
): void {
  if (pages.size <= MAX_CACHED_PAGES) return;
  const centre = (range.start + range.end) / 2 / PAGE_SIZE;
  const byDistance = [...pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
  for (const page of byDistance.slice(0, pages.size - MAX_CACHED_PAGES)) pages.delete(page);
}
