/**
 * Latency statistics as perf_analyzer reports them: percentiles by the nearest-rank method over the
 * sorted latencies of the measured windows, plus mean and max. Milliseconds.
 */

/** Latency summary of a set of requests (all 0 when there were none). */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The p-th percentile (0–100) of ascending `sorted` values, nearest rank; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Summarises latencies (any order). */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  const sum = list.reduce((a, b) => a + b, 0);
  return {
    p50: round3(percentile(list, 50)),
    p90: round3(percentile(list, 90)),
    p95: round3(percentile(list, 95)),
    p99: round3(percentile(list, 99)),
    max: round3(list.length === 0 ? 0 : (list[list.length - 1] as number)),
    mean: round3(list.length === 0 ? 0 : sum / list.length),
  };
}

/** Rounds to 3 decimals (microseconds for milliseconds): enough, and short in logs and CSV. */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
