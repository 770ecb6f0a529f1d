/** The verdict: each SLO field against the measured value, at the operating point. */
import { describe, expect, it } from 'vitest';
import { zeroErrors, type LevelResult, type LoadResult } from '../../../../core/diagnostics/load-generator';
import { judge } from '../../../../core/diagnostics/verdict';

function level(level: number, throughput: number, p95: number): LevelResult {
  return {
    mode: 'concurrency',
    level,
    stable: true,
    windows: 3,
    requests: 100,
    successes: 100,
    errors: zeroErrors(),
    successRate: 1,
    throughput,
    latencyMs: { p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.2, max: p95 * 2, mean: p95 / 2 },
    startMs: 0,
    endMs: 1000,
  };
}

function result(levels: LevelResult[], requests = 1000, successes = 1000): LoadResult {
  return {
    levels,
    windows: [],
    totals: { requests, successes, errors: zeroErrors(), successRate: successes / requests },
    cancelled: false,
  };
}

describe('judge', () => {
  it('judges p95 and throughput at the level with the highest throughput', () => {
    const verdict = judge(
      { p95Ms: 20, minThroughput: 150 },
      result([level(1, 100, 10), level(4, 200, 25), level(8, 190, 50)]),
      null,
    );
    expect(verdict.operatingPoint).toEqual({ mode: 'concurrency', level: 4 });
    expect(verdict.status).toBe('fail');
    expect(verdict.checks).toEqual([
      expect.objectContaining({
        field: 'p95Ms',
        measured: 25,
        threshold: 20,
        status: 'fail',
        summary: 'p95 latency 25 ms > 20 ms',
      }),
      expect.objectContaining({ field: 'minThroughput', measured: 200, threshold: 150, status: 'pass' }),
    ]);
  });

  it('judges the error rate over every request, and GPU memory only where it was measured', () => {
    const flaky = judge(
      { maxErrorRate: 0.05, maxGpuMemMb: 1000 },
      result([level(1, 100, 10)], 1000, 800),
      null,
    );
    expect(flaky.checks[0]).toMatchObject({ field: 'maxErrorRate', measured: 0.2, status: 'fail' });
    expect(flaky.checks[1]).toMatchObject({ field: 'maxGpuMemMb', measured: null, status: 'not_measured' });
    expect(flaky.status).toBe('fail');
    const cpuOnly = judge(
      { maxGpuMemMb: 1000, maxErrorRate: 0.5 },
      result([level(1, 100, 10)], 1000, 800),
      null,
    );
    expect(cpuOnly.status).toBe('pass');
    const gpu = judge({ maxGpuMemMb: 1000 }, result([level(1, 100, 10)]), 1200);
    expect(gpu.checks[0]).toMatchObject({ measured: 1200, status: 'fail' });
  });

  it('says when there is no SLO or nothing was measured', () => {
    expect(judge(null, result([level(1, 100, 10)]), null).status).toBe('no_slo');
    expect(judge({}, result([level(1, 100, 10)]), null).status).toBe('no_slo');
    expect(judge({ p95Ms: 10 }, result([]), null).status).toBe('incomplete');
  });
});
