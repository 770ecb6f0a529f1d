/**
 * perf_analyzer's stability rule: a load level is measured until its last N windows (3) agree —
 * each window's throughput and average latency within ±threshold (10 %) of those windows' mean —
 * or until its trials run out. See Triton's perf_analyzer docs ("measurement mode", "stability").
 */

/** What the rule looks at in a window. */
export interface StabilityInput {
  readonly throughput: number;
  readonly meanLatencyMs: number;
}

/** True when the last `count` windows are within `threshold` of their mean on both measures. */
export function isStable(windows: readonly StabilityInput[], count = 3, threshold = 0.1): boolean {
  if (windows.length < count) return false;
  const last = windows.slice(-count);
  return (
    within(
      last.map((w) => w.throughput),
      threshold,
    ) &&
    within(
      last.map((w) => w.meanLatencyMs),
      threshold,
    )
  );
}

function within(values: readonly number[], threshold: number): boolean {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return values.every((v) => v === 0);
  return values.every((v) => Math.abs(v - mean) <= threshold * mean);
}
