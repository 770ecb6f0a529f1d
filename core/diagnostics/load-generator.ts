/**
 * The load generator, independent of what it loads: for each level of a plan it applies load
 * (N requests outstanding, or N requests a second), warms up, then measures fixed windows until the
 * stability rule holds or the trials run out, and reports each window as it closes and each level
 * from its last stable windows (perf_analyzer's method). A request counts in the window in which it
 * completes. The caller supplies `send` (one request) and may cancel through `signal`.
 */
import { summarizeLatencies, round3, type LatencySummary } from './latency-stats';
import type { LoadMode, LoadPlan } from './load-plan';
import { isStable } from './stability';

/** Why a request failed. */
export const ERROR_KINDS = ['http_4xx', 'http_5xx', 'timeout', 'connection', 'invalid_response'] as const;
/** A failure kind. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** The outcome of one request. */
export type RequestOutcome =
  | { readonly ok: true; readonly latencyMs: number }
  | { readonly ok: false; readonly latencyMs: number; readonly kind: ErrorKind; readonly message?: string };

/** Counts per failure kind. */
export type ErrorCounts = Readonly<Record<ErrorKind, number>>;

/** One measurement window. */
export interface WindowReport {
  readonly mode: LoadMode;
  /** Concurrency or request rate of the level. */
  readonly level: number;
  /** Window number within the level, from 0. */
  readonly index: number;
  /** Wall-clock start and end (ms since the epoch), to match system samples. */
  readonly startMs: number;
  readonly endMs: number;
  readonly requests: number;
  readonly successes: number;
  readonly errors: ErrorCounts;
  /** Successful inferences a second. */
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
}

/** One level's result, from its last `stableWindows` windows. */
export interface LevelResult {
  readonly mode: LoadMode;
  readonly level: number;
  readonly stable: boolean;
  readonly windows: number;
  readonly requests: number;
  readonly successes: number;
  readonly errors: ErrorCounts;
  /** successes ÷ requests (1 when there were none). */
  readonly successRate: number;
  readonly throughput: number;
  readonly latencyMs: LatencySummary;
  readonly startMs: number;
  readonly endMs: number;
}

/** A whole load test. */
export interface LoadResult {
  readonly levels: readonly LevelResult[];
  readonly windows: readonly WindowReport[];
  /** Over every measured window of every level. */
  readonly totals: {
    readonly requests: number;
    readonly successes: number;
    readonly errors: ErrorCounts;
    readonly successRate: number;
  };
  /** True when the run was cancelled before every level was measured. */
  readonly cancelled: boolean;
}

/** What the generator needs. */
export interface LoadGeneratorOptions {
  readonly plan: LoadPlan;
  readonly send: () => Promise<RequestOutcome>;
  readonly onWindow?: (window: WindowReport) => void;
  readonly onLevelStart?: (mode: LoadMode, level: number) => void | Promise<void>;
  readonly onLevel?: (level: LevelResult) => void | Promise<void>;
  readonly signal?: AbortSignal;
  /** Wall clock in ms (default Date.now). */
  readonly wallClock?: () => number;
  /** Largest number of requests outstanding in rate mode (default 1024). */
  readonly maxOutstanding?: number;
}

/** No failures. */
export function zeroErrors(): Record<ErrorKind, number> {
  return { http_4xx: 0, http_5xx: 0, timeout: 0, connection: 0, invalid_response: 0 };
}

interface OpenWindow {
  latencies: number[];
  requests: number;
  successes: number;
  errors: Record<ErrorKind, number>;
}

/** Runs the plan; resolves with every level measured (or those done before a cancel). */
export async function runLoad(options: LoadGeneratorOptions): Promise<LoadResult> {
  const { plan } = options;
  const wall = options.wallClock ?? Date.now;
  const levels: LevelResult[] = [];
  const windows: WindowReport[] = [];
  let cancelled = false;
  for (const level of plan.levels) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    await options.onLevelStart?.(plan.mode, level);
    const result = await runLevel(options, level, wall, (w) => {
      windows.push(w);
      options.onWindow?.(w);
    });
    if (result === null) {
      cancelled = true;
      break;
    }
    levels.push(result);
    await options.onLevel?.(result);
  }
  const errors = zeroErrors();
  let requests = 0;
  let successes = 0;
  for (const w of windows) {
    requests += w.requests;
    successes += w.successes;
    for (const kind of Object.keys(errors) as ErrorKind[]) errors[kind] += w.errors[kind];
  }
  return {
    levels,
    windows,
    totals: { requests, successes, errors, successRate: requests === 0 ? 1 : round3(successes / requests) },
    cancelled,
  };
}

async function runLevel(
  options: LoadGeneratorOptions,
  level: number,
  wall: () => number,
  emit: (w: WindowReport) => void,
): Promise<LevelResult | null> {
  const { plan } = options;
  let current: OpenWindow | null = null;
  let running = true;
  const latencySets: number[][] = [];
  const reports: WindowReport[] = [];

  const record = (outcome: RequestOutcome): void => {
    if (!current) return;
    current.requests += 1;
    if (outcome.ok) {
      current.successes += 1;
      current.latencies.push(outcome.latencyMs);
    } else current.errors[outcome.kind] += 1;
  };
  const sendOne = async (): Promise<void> => {
    let outcome: RequestOutcome;
    try {
      outcome = await options.send();
    } catch (error) {
      outcome = { ok: false, latencyMs: 0, kind: 'connection', message: (error as Error).message };
    }
    if (running) record(outcome);
  };

  // Load: closed-loop workers, or an open-loop schedule.
  const load: Promise<void>[] = [];
  if (plan.mode === 'concurrency') {
    for (let i = 0; i < level; i += 1)
      load.push(
        (async () => {
          while (running) await sendOne();
        })(),
      );
  } else {
    const maxOutstanding = options.maxOutstanding ?? 1024;
    load.push(
      (async () => {
        const start = performance.now();
        let sent = 0;
        const outstanding = new Set<Promise<void>>();
        while (running) {
          const due = start + (sent * 1000) / level;
          const wait = due - performance.now();
          if (wait > 0) await sleep(Math.min(wait, 50));
          if (!running) break;
          if (performance.now() < due) continue;
          sent += 1;
          if (outstanding.size >= maxOutstanding) continue; // the server cannot keep up: the request is not sent
          const p = sendOne().finally(() => outstanding.delete(p));
          outstanding.add(p);
        }
        await Promise.all(outstanding);
      })(),
    );
  }

  const stop = async (): Promise<void> => {
    running = false;
    current = null;
    await Promise.all(load);
  };

  if (plan.warmupMs > 0) await sleep(plan.warmupMs, options.signal);
  if (options.signal?.aborted) {
    await stop();
    return null;
  }
  let stable = false;
  for (let index = 0; index < plan.maxWindows; index += 1) {
    const startMs = wall();
    const started = performance.now();
    current = { latencies: [], requests: 0, successes: 0, errors: zeroErrors() };
    await sleep(plan.windowMs, options.signal);
    const closed: OpenWindow = current;
    current = { latencies: [], requests: 0, successes: 0, errors: zeroErrors() };
    const seconds = (performance.now() - started) / 1000;
    if (options.signal?.aborted) {
      await stop();
      return null;
    }
    const report: WindowReport = {
      mode: plan.mode,
      level,
      index,
      startMs,
      endMs: wall(),
      requests: closed.requests,
      successes: closed.successes,
      errors: closed.errors,
      throughput: round3(closed.successes / seconds),
      latencyMs: summarizeLatencies(closed.latencies),
    };
    latencySets.push(closed.latencies);
    reports.push(report);
    emit(report);
    if (
      isStable(
        reports.map((r) => ({ throughput: r.throughput, meanLatencyMs: r.latencyMs.mean })),
        plan.stableWindows,
        plan.stabilityThreshold,
      )
    ) {
      stable = true;
      break;
    }
  }
  await stop();

  const used = reports.slice(-plan.stableWindows);
  const latencies = latencySets.slice(-plan.stableWindows).flat();
  const errors = zeroErrors();
  let requests = 0;
  let successes = 0;
  for (const w of used) {
    requests += w.requests;
    successes += w.successes;
    for (const kind of Object.keys(errors) as ErrorKind[]) errors[kind] += w.errors[kind];
  }
  const first = used[0];
  const last = used[used.length - 1];
  const seconds = first && last ? (last.endMs - first.startMs) / 1000 : 0;
  return {
    mode: plan.mode,
    level,
    stable,
    windows: reports.length,
    requests,
    successes,
    errors,
    successRate: requests === 0 ? 1 : round3(successes / requests),
    throughput: seconds > 0 ? round3(successes / seconds) : 0,
    latencyMs: summarizeLatencies(latencies),
    startMs: first?.startMs ?? wall(),
    endMs: last?.endMs ?? wall(),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
