/**
 * The Deploy screen's state: deployable targets, the chosen target and devices, the plan (what
 * each device would do and why), runs with live per-device progress, and the actions that start,
 * cancel and retry runs and roll a device back. Run changes and progress arrive as events.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DeckhandApi, DeployableTarget, DeployPlanView, DeployRunView } from '../bridge';
import type { ProgressRecord } from '../../../core/progress/progress-meter';
import type { AppErrorData } from '../../../core/result';

/** How many past runs the history shows. */
export const RUN_HISTORY_LIMIT = 20;

/** The key of a target: its import and path. */
export function targetKey(target: Pick<DeployableTarget, 'importId' | 'path'>): string {
  return `${target.importId}:${target.path}`;
}

/** State and actions of the Deploy screen. */
export interface DeployState {
  /** Deployable targets; null until loaded. */
  readonly targets: readonly DeployableTarget[] | null;
  /** targetKey() of the chosen target. */
  readonly targetKey: string | null;
  /** Chosen device URIs. */
  readonly devices: readonly string[];
  /** The plan of the current target and devices; cleared when either changes. */
  readonly plan: DeployPlanView | null;
  readonly planning: boolean;
  readonly starting: boolean;
  /** Runs, newest first; null until loaded. */
  readonly runs: readonly DeployRunView[] | null;
  /** The run shown in detail. */
  readonly shownRunId: string | null;
  /** Latest progress per run and device, from 'progress' events. */
  readonly progress: Readonly<Record<string, Readonly<Record<string, ProgressRecord>>>>;
  /** Actions running now: 'cancel:RUN', 'retry:RUN', 'rollback:URI'. */
  readonly busy: readonly string[];
  /** What the last manual rollback did, in the device's words. */
  readonly notice: { readonly device: string; readonly detail: string } | null;
  readonly error: AppErrorData | null;
  readonly load: () => Promise<void>;
  readonly chooseTarget: (key: string | null) => void;
  readonly setDevices: (uris: readonly string[]) => void;
  readonly toggleDevice: (uri: string) => void;
  /** Reads each chosen device and plans the chosen target for it. */
  readonly checkPlan: () => Promise<void>;
  /** Starts a run on the devices the plan says to deploy to. */
  readonly start: () => Promise<void>;
  readonly cancel: (runId: string) => Promise<void>;
  readonly retry: (runId: string) => Promise<void>;
  readonly rollback: (
    device: string,
    target: DeployableTarget | DeployRunView['target'] | null,
  ) => Promise<void>;
  readonly showRun: (runId: string) => void;
  readonly dismissError: () => void;
  /** Listens for run changes and progress; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

type DeployApi = Pick<
  DeckhandApi,
  | 'deploy.targets'
  | 'deploy.plan'
  | 'deploy.start'
  | 'deploy.cancel'
  | 'deploy.runs'
  | 'deploy.retry'
  | 'deploy.rollback'
  | 'on'
>;

/** Creates the store over the deploy verbs and the 'deploy.changed' and 'progress' events. */
export function createDeployStore(api: DeployApi): StoreApi<DeployState> {
  return createStore<DeployState>()((set, get) => {
    const chosenTarget = (): DeployableTarget | undefined =>
      get().targets?.find((t) => targetKey(t) === get().targetKey);
    const upsertRun = (run: DeployRunView): void => {
      const runs = get().runs ?? [];
      const next = runs.some((r) => r.id === run.id)
        ? runs.map((r) => (r.id === run.id ? run : r))
        : [run, ...runs];
      const progress = { ...get().progress };
      // Finished runs show their stored outcome; live progress would only go stale.
      if (run.status !== 'running') delete progress[run.id];
      set({ runs: next, progress });
    };
    const withBusy = async (key: string, work: () => Promise<void>): Promise<void> => {
      if (get().busy.includes(key)) return;
      set({ busy: [...get().busy, key], error: null });
      try {
        await work();
      } finally {
        set({ busy: get().busy.filter((k) => k !== key) });
      }
    };
    const refOf = (target: { readonly importId: number; readonly path: string }) => ({
      importId: target.importId,
      path: target.path,
    });
    return {
      targets: null,
      targetKey: null,
      devices: [],
      plan: null,
      planning: false,
      starting: false,
      runs: null,
      shownRunId: null,
      progress: {},
      busy: [],
      notice: null,
      error: null,

      load: async () => {
        const [targets, runs] = await Promise.all([
          api['deploy.targets'](undefined),
          api['deploy.runs']({ limit: RUN_HISTORY_LIMIT }),
        ]);
        if (!targets.ok) set({ error: targets.error });
        else {
          const keep = targets.value.targets.some((t) => targetKey(t) === get().targetKey);
          set({ targets: targets.value.targets, ...(keep ? {} : { targetKey: null, plan: null }) });
        }
        if (!runs.ok) set({ error: runs.error });
        else {
          const list = runs.value.runs;
          const shown = get().shownRunId;
          set({
            runs: list,
            // Open the run still going (a run resumed after a restart), else the newest.
            shownRunId:
              shown !== null && list.some((r) => r.id === shown)
                ? shown
                : ((list.find((r) => r.status === 'running') ?? list[0])?.id ?? null),
          });
        }
      },

      chooseTarget: (key) => set({ targetKey: key, plan: null, error: null }),

      setDevices: (uris) => set({ devices: [...new Set(uris)], plan: null }),

      toggleDevice: (uri) => {
        const devices = get().devices;
        set({
          devices: devices.includes(uri) ? devices.filter((d) => d !== uri) : [...devices, uri],
          plan: null,
        });
      },

      checkPlan: async () => {
        const target = chosenTarget();
        const devices = get().devices;
        if (target === undefined || devices.length === 0 || get().planning) return;
        set({ planning: true, plan: null, error: null });
        const result = await api['deploy.plan']({ target: refOf(target), devices: [...devices] });
        // Ignore an answer for a selection the technician has changed meanwhile.
        const same = chosenTarget() === target && get().devices.join('\n') === devices.join('\n');
        set({ planning: false });
        if (!result.ok) set({ error: result.error });
        else if (same) set({ plan: result.value });
      },

      start: async () => {
        const target = chosenTarget();
        const plan = get().plan;
        if (target === undefined || plan === null || get().starting) return;
        const devices = plan.devices.filter((d) => d.action === 'deploy').map((d) => d.device);
        if (devices.length === 0) return;
        set({ starting: true, error: null });
        const result = await api['deploy.start']({ target: refOf(target), devices });
        set({ starting: false });
        if (!result.ok) {
          set({ error: result.error });
          return;
        }
        upsertRun(result.value);
        set({ shownRunId: result.value.id, plan: null });
      },

      cancel: (runId) =>
        withBusy(`cancel:${runId}`, async () => {
          const result = await api['deploy.cancel']({ runId });
          if (!result.ok) set({ error: result.error });
        }),

      retry: (runId) =>
        withBusy(`retry:${runId}`, async () => {
          const result = await api['deploy.retry']({ runId });
          if (!result.ok) {
            set({ error: result.error });
            return;
          }
          upsertRun(result.value);
          set({ shownRunId: result.value.id });
        }),

      rollback: (device, target) =>
        withBusy(`rollback:${device}`, async () => {
          set({ notice: null });
          const result = await api['deploy.rollback'](
            target === null ? { device } : { device, target: refOf(target) },
          );
          if (result.ok) set({ notice: { device, detail: result.value.detail } });
          else set({ error: { ...result.error, message: `${device}: ${result.error.message}` } });
        }),

      showRun: (runId) => set({ shownRunId: runId }),

      dismissError: () => set({ error: null }),

      subscribe: () => {
        const offChanged = api.on('deploy.changed', (payload) => upsertRun(payload.run));
        const offProgress = api.on('progress', (record) => {
          const device = record.device;
          // Imports and syncs report progress too; a deploy record names its device and a known run.
          const run = (get().runs ?? []).find((r) => r.id === record.jobId);
          if (device === undefined || run === undefined || run.status !== 'running') return;
          const progress = get().progress;
          set({ progress: { ...progress, [record.jobId]: { ...progress[record.jobId], [device]: record } } });
        });
        return () => {
          offChanged();
          offProgress();
        };
      },
    };
  });
}
