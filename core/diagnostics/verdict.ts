/**
 * The verdict: each SLO field of the model target (HQ's definition of "good") judged against what
 * was measured, with the measured value and the threshold side by side.
 * - p95Ms and minThroughput are judged at the operating point: the level with the highest
 *   throughput (for a single level, that level).
 * - maxErrorRate is judged over every measured request of the run.
 * - maxGpuMemMb is judged against the largest GPU memory use sampled during the run; with no GPU
 *   samples (a CPU-only device) it is `not_measured`, which neither passes nor fails the run.
 */
import type { LoadResult, LevelResult } from './load-generator';
import { round3 } from './latency-stats';

/** The SLO fields (core/bundle/target-info.ts sloSchema). */
export const SLO_FIELDS = ['p95Ms', 'minThroughput', 'maxErrorRate', 'maxGpuMemMb'] as const;
/** An SLO field. */
export type SloField = (typeof SLO_FIELDS)[number];
/** A model's SLO, as the bundle carries it (numbers after parsing). */
export type Slo = Partial<Record<SloField, number>>;

/** One field's judgement. */
export interface SloCheck {
  readonly field: SloField;
  readonly threshold: number;
  readonly measured: number | null;
  readonly unit: string;
  readonly status: 'pass' | 'fail' | 'not_measured';
  /** One line for the technician, e.g. "p95 latency 41.2 ms > 20 ms". */
  readonly summary: string;
}

/** The run's verdict. */
export interface Verdict {
  /** fail: any check failed; pass: every measured check passed; no_slo: the model has no SLO; incomplete: nothing measured. */
  readonly status: 'pass' | 'fail' | 'no_slo' | 'incomplete';
  readonly checks: readonly SloCheck[];
  /** Where p95 and throughput were judged. */
  readonly operatingPoint: { readonly mode: LevelResult['mode']; readonly level: number } | null;
}

/** Judges a run against an SLO. */
export function judge(
  slo: Slo | null | undefined,
  result: LoadResult,
  gpuMemoryMaxMb: number | null,
): Verdict {
  const point = operatingPoint(result.levels);
  const fields = SLO_FIELDS.filter((f) => typeof slo?.[f] === 'number');
  if (!slo || fields.length === 0)
    return {
      status: point ? 'no_slo' : 'incomplete',
      checks: [],
      operatingPoint: point && { mode: point.mode, level: point.level },
    };
  if (!point) return { status: 'incomplete', checks: [], operatingPoint: null };
  const errorRate =
    result.totals.requests === 0 ? 0 : round3(1 - result.totals.successes / result.totals.requests);
  const checks = fields.map((field): SloCheck => {
    const threshold = slo[field] as number;
    switch (field) {
      case 'p95Ms':
        return check(
          field,
          threshold,
          point.latencyMs.p95,
          'ms',
          (m) => m <= threshold,
          `p95 latency ${point.latencyMs.p95} ms`,
          '≤',
        );
      case 'minThroughput':
        return check(
          field,
          threshold,
          point.throughput,
          'inferences/s',
          (m) => m >= threshold,
          `throughput ${point.throughput}/s`,
          '≥',
        );
      case 'maxErrorRate':
        return check(
          field,
          threshold,
          errorRate,
          '',
          (m) => m <= threshold,
          `error rate ${(errorRate * 100).toFixed(1)} %`,
          '≤',
        );
      case 'maxGpuMemMb':
        if (gpuMemoryMaxMb === null)
          return {
            field,
            threshold,
            measured: null,
            unit: 'MB',
            status: 'not_measured',
            summary: `GPU memory not measured (no GPU statistics on this device); limit ${threshold} MB`,
          };
        return check(
          field,
          threshold,
          gpuMemoryMaxMb,
          'MB',
          (m) => m <= threshold,
          `GPU memory ${gpuMemoryMaxMb} MB`,
          '≤',
        );
      default: {
        const never: never = field;
        throw new Error(`unknown SLO field ${String(never)}`);
      }
    }
  });
  const status = checks.some((c) => c.status === 'fail') ? 'fail' : 'pass';
  return { status, checks, operatingPoint: { mode: point.mode, level: point.level } };
}

/** The level with the highest throughput (the first on ties). */
export function operatingPoint(levels: readonly LevelResult[]): LevelResult | null {
  let best: LevelResult | null = null;
  for (const level of levels) if (!best || level.throughput > best.throughput) best = level;
  return best;
}

function check(
  field: SloField,
  threshold: number,
  measured: number,
  unit: string,
  passes: (m: number) => boolean,
  what: string,
  relation: '≤' | '≥',
): SloCheck {
  const ok = passes(measured);
  const shown =
    field === 'maxErrorRate' ? `${(threshold * 100).toFixed(1)} %` : `${threshold}${unit ? ` ${unit}` : ''}`;
  return {
    field,
    threshold,
    measured,
    unit,
    status: ok ? 'pass' : 'fail',
    summary: `${what} ${ok ? relation : relation === '≤' ? '>' : '<'} ${shown}`,
  };
}
