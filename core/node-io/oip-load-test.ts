/**
 * One load test against an OIP endpoint, the same on the device and on the laptop: checks the server
 * and the model, builds inputs from the model's metadata, runs the load generator, reads the server's
 * statistics around each level, and joins each window with the device's GPU/system samples when a
 * sampler is at hand (on the device).
 */
import type {
  DiagnosticLevel,
  DiagnosticWindow,
  LoadTestOutcome,
  ServerStatsDelta,
} from '../diagnostics/diagnostic-report';
import { runLoad, type LevelResult } from '../diagnostics/load-generator';
import type { LoadPlan } from '../diagnostics/load-plan';
import type { ModelStatistics } from '../diagnostics/oip-types';
import { summarizeWindow, type SampleSource, type SystemSample } from '../diagnostics/system-sample';
import { DeckhandError } from '../result';
import { OipClient, syntheticInputs } from './oip-client';

/** Where the device's samples come from (the agent's SystemSampler fits). */
export interface SampleReader {
  readonly source: SampleSource;
  samplesBetween(fromMs: number, toMs: number): SystemSample[];
}

/** What a load test needs. */
export interface OipLoadTestOptions {
  readonly url: string;
  readonly model: string;
  readonly plan: LoadPlan;
  readonly sampler?: SampleReader | null;
  readonly signal?: AbortSignal;
  readonly onWindow?: (window: DiagnosticWindow) => void;
  readonly onLevel?: (level: DiagnosticLevel) => void;
}

/** Largest number of samples kept in a run's outcome. */
export const MAX_RUN_SAMPLES = 600;

/** Runs the load test. Throws a coded error when the server or model cannot be used. */
export async function runOipLoadTest(options: OipLoadTestOptions): Promise<LoadTestOutcome> {
  const maxSockets = options.plan.mode === 'concurrency' ? Math.max(...options.plan.levels) : 256;
  const client = new OipClient(options.url, { maxSockets });
  try {
    if (!(await client.live()))
      throw new DeckhandError(
        'link_lost',
        `The inference server at ${client.baseUrl.host} is not answering. Check that the device runs its inference server.`,
      );
    const server = await client.serverMetadata().catch(() => null);
    const model = await client.modelMetadata(options.model);
    if (!(await client.modelReady(options.model)))
      throw new DeckhandError('invalid_state', `Model ${options.model} is not ready on the server.`);
    const inputs = syntheticInputs(model.inputs);
    // One request first: a model that cannot answer at all is a setup problem, not a measurement.
    const probe = await client.sender(options.model, inputs, {
      binary: options.plan.binary,
      timeoutMs: options.plan.requestTimeoutMs,
    })();
    if (!probe.ok && probe.kind !== 'http_5xx')
      throw new DeckhandError(
        'invalid_input',
        `Model ${options.model} refused a request built from its own metadata: ${probe.message ?? probe.kind}.`,
      );

    const send = client.sender(options.model, inputs, {
      binary: options.plan.binary,
      timeoutMs: options.plan.requestTimeoutMs,
    });
    const sampler = options.sampler ?? null;
    const windows: DiagnosticWindow[] = [];
    const levels: DiagnosticLevel[] = [];
    let before: ModelStatistics | null = null;
    const runStart = Date.now();
    const result = await runLoad({
      plan: options.plan,
      send,
      ...(options.signal ? { signal: options.signal } : {}),
      onLevelStart: async () => {
        before = await readStats(client, options.model);
      },
      onWindow: (w) => {
        const window: DiagnosticWindow = {
          ...w,
          system: sampler
            ? summarizeWindow(sampler.samplesBetween(w.startMs, w.endMs), w.startMs, w.endMs)
            : null,
        };
        windows.push(window);
        options.onWindow?.(window);
      },
      onLevel: async (level: LevelResult) => {
        const after = await readStats(client, options.model);
        const diagnostic: DiagnosticLevel = {
          ...level,
          server: before && after ? statsDelta(before, after) : null,
          system: sampler
            ? summarizeWindow(sampler.samplesBetween(level.startMs, level.endMs), level.startMs, level.endMs)
            : null,
        };
        levels.push(diagnostic);
        options.onLevel?.(diagnostic);
      },
    });
    const samples = sampler ? thin(sampler.samplesBetween(runStart, Date.now()), MAX_RUN_SAMPLES) : [];
    return {
      server,
      model,
      levels,
      windows,
      totals: result.totals,
      cancelled: result.cancelled,
      samplerSource: sampler?.source ?? null,
      samples,
    };
  } finally {
    client.close();
  }
}

async function readStats(client: OipClient, model: string): Promise<ModelStatistics | null> {
  const stats = await client.statistics(model);
  const all = stats?.model_stats ?? [];
  if (all.length === 0) return stats ? emptyStats(model) : null;
  // Sum over versions: the load goes to whichever version the server picks.
  return all.reduce((a, b) => ({
    ...a,
    inference_count: a.inference_count + b.inference_count,
    execution_count: a.execution_count + b.execution_count,
    inference_stats: {
      success: add(a.inference_stats.success, b.inference_stats.success),
      fail: add(a.inference_stats.fail, b.inference_stats.fail),
      queue: add(a.inference_stats.queue, b.inference_stats.queue),
      compute_input: add(a.inference_stats.compute_input, b.inference_stats.compute_input),
      compute_infer: add(a.inference_stats.compute_infer, b.inference_stats.compute_infer),
      compute_output: add(a.inference_stats.compute_output, b.inference_stats.compute_output),
    },
  }));
}

function add(
  a: { count: number; ns: number },
  b: { count: number; ns: number },
): { count: number; ns: number } {
  return { count: a.count + b.count, ns: a.ns + b.ns };
}

function emptyStats(name: string): ModelStatistics {
  const zero = { count: 0, ns: 0 };
  return {
    name,
    version: '',
    last_inference: 0,
    inference_count: 0,
    execution_count: 0,
    inference_stats: {
      success: zero,
      fail: zero,
      queue: zero,
      compute_input: zero,
      compute_infer: zero,
      compute_output: zero,
    },
  };
}

/** The server's statistics over one level: differences of its cumulative counters. */
export function statsDelta(before: ModelStatistics, after: ModelStatistics): ServerStatsDelta {
  const d = (pick: (s: ModelStatistics) => { count: number; ns: number }) => ({
    count: pick(after).count - pick(before).count,
    ns: pick(after).ns - pick(before).ns,
  });
  const success = d((s) => s.inference_stats.success);
  const queue = d((s) => s.inference_stats.queue);
  const infer = d((s) => s.inference_stats.compute_infer);
  const meanMs = (p: { count: number; ns: number }) =>
    p.count > 0 ? Math.round(p.ns / p.count / 1000) / 1000 : null;
  return {
    inferenceCount: after.inference_count - before.inference_count,
    executionCount: after.execution_count - before.execution_count,
    successCount: success.count,
    failCount: d((s) => s.inference_stats.fail).count,
    requestMeanMs: meanMs(success),
    queueMeanMs: meanMs(queue),
    computeInferMeanMs: meanMs(infer),
  };
}

function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)] as T);
}
