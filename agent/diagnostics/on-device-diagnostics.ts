/**
 * The `diagnostics` verb on the device: the agent runs the load generator against its own inference
 * server (loopback, so the link to the laptop — even a serial line — carries only the results) and
 * keeps each run's windows for the laptop to poll. One run at a time; finished runs are kept a while.
 */
import { randomUUID } from 'node:crypto';
import type {
  DiagnosticLevel,
  DiagnosticWindow,
  LoadTestOutcome,
} from '../../core/diagnostics/diagnostic-report';
import type { LoadPlan } from '../../core/diagnostics/load-plan';
import { runOipLoadTest } from '../../core/node-io/oip-load-test';
import type { DiagnosticsResult, VerbParams } from '../../core/protocol/messages';
import { DeckhandError, assertNever, toErrorData, type AppErrorData } from '../../core/result';
import type { ModelHost } from '../inference/model-host';
import type { SystemSampler } from './system-sampler';

/** Windows (and levels) returned by one poll at most, to keep answers small on a serial line. */
const MAX_PER_POLL = 50;
/** Samples kept in a finished run's outcome sent over the link. */
const MAX_OUTCOME_SAMPLES = 300;

interface Run {
  readonly id: string;
  done: Promise<void>;
  readonly windows: DiagnosticWindow[];
  readonly levels: DiagnosticLevel[];
  readonly abort: AbortController;
  state: 'running' | 'done' | 'failed';
  outcome: LoadTestOutcome | null;
  error: AppErrorData | null;
}

/** What the verb needs from the agent. */
export interface OnDeviceDiagnosticsOptions {
  readonly models: ModelHost;
  /** The agent's own inference server (loopback URL), or null when it does not run. */
  readonly inferenceUrl: () => string | null;
  /** The URL and port the laptop should use (the server's bound address). */
  readonly publicPort: () => number | null;
  readonly sampler: SystemSampler | null;
  readonly onLog?: (line: string) => void;
}

/** Serves the diagnostics verb. */
export class OnDeviceDiagnostics {
  readonly #o: OnDeviceDiagnosticsOptions;
  readonly #runs = new Map<string, Run>();
  #closed = false;

  constructor(options: OnDeviceDiagnosticsOptions) {
    this.#o = options;
  }

  /** Handles one request of the verb. */
  handle(params: VerbParams<'diagnostics'>): DiagnosticsResult {
    switch (params.action) {
      case 'info':
        return {
          action: 'info',
          inferenceUrl: this.#o.inferenceUrl(),
          inferencePort: this.#o.publicPort(),
          models: this.#o.models.installed(),
          samplerSource: this.#o.sampler?.source ?? null,
        };
      case 'start':
        return { action: 'start', runId: this.#start(params.model, params.plan) };
      case 'poll': {
        const run = this.#run(params.runId);
        const windows = run.windows.slice(params.afterWindow, params.afterWindow + MAX_PER_POLL);
        const levels = run.levels.slice(params.afterLevel, params.afterLevel + MAX_PER_POLL);
        const caughtUp =
          params.afterWindow + windows.length >= run.windows.length &&
          params.afterLevel + levels.length >= run.levels.length;
        // The outcome comes once the laptop has every window, without repeating them.
        const finished = run.state !== 'running' && caughtUp;
        return {
          action: 'poll',
          state: finished ? run.state : 'running',
          windows,
          levels,
          outcome:
            finished && run.outcome
              ? {
                  ...run.outcome,
                  windows: [],
                  levels: [],
                  samples: run.outcome.samples.slice(-MAX_OUTCOME_SAMPLES),
                }
              : null,
          error: finished ? run.error : null,
        };
      }
      case 'stop': {
        const run = this.#runs.get(params.runId);
        if (!run || run.state !== 'running') return { action: 'stop', stopped: false };
        run.abort.abort();
        return { action: 'stop', stopped: true };
      }
      case 'samples': {
        const now = Date.now();
        const since = params.sinceMs > 0 ? params.sinceMs : now - 60_000;
        return {
          action: 'samples',
          source: this.#o.sampler?.source ?? null,
          samples: (this.#o.sampler?.samplesBetween(since, now) ?? []).slice(-MAX_OUTCOME_SAMPLES),
        };
      }
      default:
        return assertNever(params);
    }
  }

  /** Stops every run and waits for them (agent shutdown); nothing is logged afterwards. */
  async stopAll(): Promise<void> {
    for (const run of this.#runs.values()) run.abort.abort();
    await Promise.all([...this.#runs.values()].map((run) => run.done));
    this.#closed = true;
  }

  #start(model: string, plan: LoadPlan): string {
    const url = this.#o.inferenceUrl();
    if (url === null)
      throw new DeckhandError('not_supported', 'The inference server of this agent is not running.');
    if ([...this.#runs.values()].some((r) => r.state === 'running'))
      throw new DeckhandError(
        'invalid_state',
        'A diagnostic run is already going on this device; wait for it or stop it.',
      );
    if (!this.#o.models.installed().some((m) => m.name === model))
      throw new DeckhandError('not_found', `No model ${model} is installed on this device. Deploy it first.`);
    const run: Run = {
      id: randomUUID(),
      windows: [],
      levels: [],
      abort: new AbortController(),
      state: 'running',
      outcome: null,
      error: null,
      done: Promise.resolve(),
    };
    // Keep the last few runs only.
    for (const [id, old] of this.#runs)
      if (old.state !== 'running' && this.#runs.size >= 4) this.#runs.delete(id);
    this.#runs.set(run.id, run);
    this.#o.onLog?.(`diagnostics: run ${run.id} of ${model} started (${plan.mode} ${plan.levels.join(',')})`);
    run.done = runOipLoadTest({
      url,
      model,
      plan,
      sampler: this.#o.sampler,
      signal: run.abort.signal,
      onWindow: (w) => run.windows.push(w),
      onLevel: (l) => run.levels.push(l),
    }).then(
      (outcome) => {
        run.outcome = outcome;
        run.state = 'done';
        if (!this.#closed)
          this.#o.onLog?.(`diagnostics: run ${run.id} finished (${outcome.totals.requests} requests)`);
      },
      (error: unknown) => {
        run.error = toErrorData(error);
        run.state = 'failed';
        if (!this.#closed) this.#o.onLog?.(`diagnostics: run ${run.id} failed: ${run.error.message}`);
      },
    );
    return run.id;
  }

  #run(id: string): Run {
    const run = this.#runs.get(id);
    if (!run)
      throw new DeckhandError('not_found', `No diagnostic run ${id} on this device (it may have restarted).`);
    return run;
  }
}
