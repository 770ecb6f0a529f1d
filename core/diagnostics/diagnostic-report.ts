/**
 * A diagnostic run as Deckhand keeps, shows, exports and logs it: where it ran, the plan, each
 * window (with the device's GPU/system figures for that window), each level (with the server's own
 * statistics for it), the totals and the verdict. Types only, so the renderer may import them.
 */
import type { ErrorCounts, LevelResult, WindowReport } from './load-generator';
import type { LoadPlan } from './load-plan';
import type { ModelMetadata, ServerMetadata } from './oip-types';
import type { SampleSource, SystemSample, WindowStats } from './system-sample';
import type { Slo, Verdict } from './verdict';

/** Where the load generator ran. */
export const PLACEMENTS = ['on-device', 'from-laptop'] as const;
/** on-device: the agent loads its own server (works over serial); from-laptop: over the LAN, end to end. */
export type Placement = (typeof PLACEMENTS)[number];

/** A window with the device's statistics over it (null: no sampler there, e.g. a bare URL). */
export interface DiagnosticWindow extends WindowReport {
  readonly system: WindowStats | null;
}

/** What the server's statistics extension says about one level (differences over the level). */
export interface ServerStatsDelta {
  readonly inferenceCount: number;
  readonly executionCount: number;
  readonly successCount: number;
  readonly failCount: number;
  /** Mean time per successful request inside the server (ms). */
  readonly requestMeanMs: number | null;
  readonly queueMeanMs: number | null;
  readonly computeInferMeanMs: number | null;
}

/** A level with the server's and the device's view of it. */
export interface DiagnosticLevel extends LevelResult {
  readonly server: ServerStatsDelta | null;
  readonly system: WindowStats | null;
}

/** What a load test against one OIP endpoint produced (before the verdict). */
export interface LoadTestOutcome {
  readonly server: ServerMetadata | null;
  readonly model: ModelMetadata;
  readonly levels: readonly DiagnosticLevel[];
  readonly windows: readonly DiagnosticWindow[];
  readonly totals: {
    readonly requests: number;
    readonly successes: number;
    readonly errors: ErrorCounts;
    readonly successRate: number;
  };
  readonly cancelled: boolean;
  readonly samplerSource: SampleSource | null;
  /** The device's samples over the run (thinned to at most 600). */
  readonly samples: readonly SystemSample[];
}

/** A finished run. */
export interface DiagnosticRun extends LoadTestOutcome {
  readonly runId: string;
  /** Device URI, or null for a bare server URL. */
  readonly device: string | null;
  /** The OIP endpoint loaded. */
  readonly url: string;
  readonly placement: Placement;
  readonly modelName: string;
  readonly modelVersion: string | null;
  readonly plan: LoadPlan;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly slo: Slo | null;
  readonly verdict: Verdict;
  /** The largest GPU memory use sampled (MB), null when not measured. */
  readonly gpuMemoryMaxMb: number | null;
}

/** A run in the history list. */
export interface DiagnosticRunSummary {
  readonly runId: string;
  readonly device: string | null;
  readonly modelName: string;
  readonly modelVersion: string | null;
  readonly placement: Placement;
  readonly startedAt: string;
  readonly verdict: Verdict['status'];
  readonly throughput: number;
  readonly p95Ms: number;
  readonly successRate: number;
}
