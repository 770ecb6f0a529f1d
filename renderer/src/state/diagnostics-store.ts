/**
 * The Diagnostics screen's state: the chosen device, model, profile and placement; the run going on
 * (windows and levels as they arrive); the run shown with its verdict; the history, the runs picked
 * for side-by-side comparison; and exports.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  DeckhandApi,
  DiagnosticDeviceView,
  DiagnosticExport,
  DiagnosticLevel,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
} from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** The UI's profiles. */
export type DiagnosticProfile = 'quick' | 'full';
/** Where the load generator runs. */
export type DiagnosticPlacement = 'on-device' | 'from-laptop';

/** A run going on. */
export interface LiveRun {
  readonly runId: string;
  readonly model: string;
  readonly windows: readonly DiagnosticWindow[];
  readonly levels: readonly DiagnosticLevel[];
}

/** Diagnostics state and actions. */
export interface DiagnosticsState {
  readonly device: string | null;
  readonly deviceInfo: DiagnosticDeviceView | null;
  readonly loadingDevice: boolean;
  readonly model: string | null;
  readonly profile: DiagnosticProfile;
  readonly placement: DiagnosticPlacement;
  readonly live: LiveRun | null;
  readonly shown: DiagnosticRun | null;
  readonly runs: readonly DiagnosticRunSummary[] | null;
  /** Run ids picked for comparison (two at most), and the runs once loaded. */
  readonly compareIds: readonly string[];
  readonly compared: readonly DiagnosticRun[];
  readonly error: AppErrorData | null;
  readonly chooseDevice: (uri: string | null) => Promise<void>;
  readonly chooseModel: (name: string | null) => void;
  readonly chooseProfile: (profile: DiagnosticProfile) => void;
  readonly choosePlacement: (placement: DiagnosticPlacement) => void;
  readonly start: () => Promise<void>;
  readonly cancel: () => Promise<void>;
  readonly loadRuns: () => Promise<void>;
  readonly show: (runId: string) => Promise<void>;
  readonly toggleCompare: (runId: string) => Promise<void>;
  readonly exportRun: (runId: string, format: 'csv' | 'json') => Promise<DiagnosticExport | null>;
  readonly dismissError: () => void;
  /** Listens for diagnostics events; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

type DiagnosticsApi = Pick<
  DeckhandApi,
  | 'diagnostics.device'
  | 'diagnostics.start'
  | 'diagnostics.cancel'
  | 'diagnostics.runs'
  | 'diagnostics.run'
  | 'diagnostics.export'
  | 'on'
>;

/** Creates the store over the diagnostics verbs and events. */
export function createDiagnosticsStore(api: DiagnosticsApi): StoreApi<DiagnosticsState> {
  return createStore<DiagnosticsState>()((set, get) => ({
    device: null,
    deviceInfo: null,
    loadingDevice: false,
    model: null,
    profile: 'quick',
    placement: 'from-laptop',
    live: null,
    shown: null,
    runs: null,
    compareIds: [],
    compared: [],
    error: null,

    chooseDevice: async (uri) => {
      set({ device: uri, deviceInfo: null, model: null, error: null, loadingDevice: uri !== null });
      if (uri === null) return;
      const result = await api['diagnostics.device']({ device: uri });
      if (get().device !== uri) return;
      if (!result.ok) {
        set({ loadingDevice: false, error: result.error });
        return;
      }
      const serial = !uri.startsWith('tcp://');
      set({
        loadingDevice: false,
        deviceInfo: result.value,
        model: result.value.models[0]?.name ?? null,
        ...(serial ? { placement: 'on-device' as const } : {}),
      });
    },

    chooseModel: (name) => set({ model: name }),
    chooseProfile: (profile) => set({ profile }),
    choosePlacement: (placement) => set({ placement }),

    start: async () => {
      const { device, model, profile, placement, live } = get();
      if (device === null || model === null || live !== null) return;
      set({ error: null, shown: null });
      const result = await api['diagnostics.start']({ device, model, profile, placement });
      if (!result.ok) {
        set({ error: result.error });
        return;
      }
      // Events may have arrived before the answer; keep what they brought.
      const current = get().live;
      if (current?.runId !== result.value.runId)
        set({ live: { runId: result.value.runId, model, windows: [], levels: [] } });
    },

    cancel: async () => {
      const live = get().live;
      if (live === null) return;
      const result = await api['diagnostics.cancel']({ runId: live.runId });
      if (!result.ok) set({ error: result.error });
    },

    loadRuns: async () => {
      const result = await api['diagnostics.runs']({ limit: 100 });
      set(result.ok ? { runs: result.value.runs } : { error: result.error });
    },

    show: async (runId) => {
      const result = await api['diagnostics.run']({ runId });
      set(result.ok ? { shown: result.value } : { error: result.error });
    },

    toggleCompare: async (runId) => {
      const ids = get().compareIds;
      const next = ids.includes(runId) ? ids.filter((id) => id !== runId) : [...ids, runId].slice(-2);
      set({ compareIds: next, compared: get().compared.filter((run) => next.includes(run.runId)) });
      const missing = next.filter((id) => !get().compared.some((run) => run.runId === id));
      for (const id of missing) {
        const result = await api['diagnostics.run']({ runId: id });
        if (!result.ok) {
          set({ error: result.error });
          continue;
        }
        if (get().compareIds.includes(id))
          set({
            compared: [...get().compared, result.value].sort(
              (a, b) => get().compareIds.indexOf(a.runId) - get().compareIds.indexOf(b.runId),
            ),
          });
      }
    },

    exportRun: async (runId, format) => {
      const result = await api['diagnostics.export']({ runId, format });
      if (!result.ok) {
        set({ error: result.error });
        return null;
      }
      return result.value;
    },

    dismissError: () => set({ error: null }),

    subscribe: () => {
      const offWindow = api.on('diagnostics.window', ({ runId, window }) => {
        const live = get().live;
        const base =
          live?.runId === runId ? live : { runId, model: get().model ?? '', windows: [], levels: [] };
        set({ live: { ...base, windows: [...base.windows, window] } });
      });
      const offLevel = api.on('diagnostics.level', ({ runId, level }) => {
        const live = get().live;
        if (live?.runId === runId) set({ live: { ...live, levels: [...live.levels, level] } });
      });
      const offFinished = api.on('diagnostics.finished', ({ runId, run, error }) => {
        if (get().live?.runId !== runId && get().live !== null) return;
        set({
          live: null,
          ...(run ? { shown: run } : {}),
          ...(error ? { error: { code: error.code as AppErrorData['code'], message: error.message } } : {}),
        });
        void get().loadRuns();
      });
      return () => {
        offWindow();
        offLevel();
        offFinished();
      };
    },
  }));
}
