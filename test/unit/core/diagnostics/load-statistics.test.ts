/** Percentiles, perf_analyzer's stability rule, plans and durations. */
import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatencies } from '../../../../core/diagnostics/latency-stats';
import { parseDuration, parseLevels, planFor, profilePlan } from '../../../../core/diagnostics/load-plan';
import { isStable } from '../../../../core/diagnostics/stability';

describe('latency statistics', () => {
  it('takes nearest-rank percentiles of sorted values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 95)).toBe(0);
  });

  it('summarises in any order', () => {
    expect(summarizeLatencies([5, 1, 3, 2, 4])).toEqual({ p50: 3, p90: 5, p95: 5, p99: 5, max: 5, mean: 3 });
    expect(summarizeLatencies([])).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, max: 0, mean: 0 });
  });
});

describe('stability rule', () => {
  const w = (throughput: number, meanLatencyMs: number) => ({ throughput, meanLatencyMs });
  it('needs three windows within 10 % of their mean, on throughput and latency', () => {
    expect(isStable([w(100, 10), w(100, 10)])).toBe(false);
    expect(isStable([w(100, 10), w(105, 10.5), w(95, 9.6)])).toBe(true);
    expect(isStable([w(100, 10), w(130, 10), w(95, 10)])).toBe(false);
    expect(isStable([w(100, 10), w(100, 14), w(100, 10)])).toBe(false);
    // Only the last three count.
    expect(isStable([w(10, 90), w(100, 10), w(101, 10), w(99, 10)])).toBe(true);
    expect(isStable([w(0, 0), w(0, 0), w(0, 0)])).toBe(true);
  });
});

describe('plans', () => {
  it('derives windows from the duration, bounded like perf_analyzer', () => {
    const plan = planFor({ mode: 'concurrency', levels: [1, 2], durationMs: 30_000 });
    expect(plan).toMatchObject({
      warmupMs: 2000,
      windowMs: 2800,
      maxWindows: 10,
      stableWindows: 3,
      stabilityThreshold: 0.1,
    });
    expect(planFor({ mode: 'rate', levels: [5], durationMs: 1000 })).toMatchObject({
      warmupMs: 100,
      windowMs: 100,
      maxWindows: 9,
    });
    expect(profilePlan('full').levels).toEqual([1, 2, 4, 8]);
    expect(profilePlan('quick').levels).toEqual([1]);
  });

  it('parses durations and levels, refusing nonsense as usage errors', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('5')).toBe(5000);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
    expect(() => parseDuration('10ms')).toThrow(/between/);
    expect(parseLevels('1,2,4,8', '--concurrency')).toEqual([1, 2, 4, 8]);
    expect(() => parseLevels('1,x', '--concurrency')).toThrow(/--concurrency/);
    expect(() => parseLevels('0', '--concurrency')).toThrow();
  });
});
