/**
 * `deckhand bench diagnose`: one small round against a simulated device, Deckhand's load generator and
 * autocannon on the same endpoint in the same run. The figures depend on the machine, so only their
 * presence and the report's shape are asserted, never the tolerance (docs/diagnostics.md).
 */
import { describe, expect, it } from 'vitest';
import { runDeckhand } from '../../../support/run-deckhand';

describe('deckhand bench diagnose', () => {
  it('measures Deckhand and autocannon against the same endpoint and prints the ratio', () => {
    const run = runDeckhand([
      'bench',
      'diagnose',
      '--duration',
      '1s',
      '--rounds',
      '1',
      '--concurrency',
      '2',
      '--json',
    ]);
    expect([0, 1], run.stderr).toContain(run.code);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      endpoint: string;
      concurrency: number;
      ours: { throughput: number };
      baseline: { tool: string; throughput: number };
      ratio: number;
      tolerance: number;
      withinTolerance: boolean;
    };
    expect(report).toMatchObject({ ok: true, concurrency: 2, tolerance: 0.05 });
    expect(report.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v2\/models\/heavy\/infer$/);
    expect(report.baseline.tool).toBe('autocannon (npm) -c 2 -p 1');
    expect(report.ours.throughput).toBeGreaterThan(0);
    expect(report.baseline.throughput).toBeGreaterThan(0);
    expect(report.ratio).toBeCloseTo(report.ours.throughput / report.baseline.throughput, 6);
    expect(run.code).toBe(report.withinTolerance ? 0 : 1);
  }, 90_000);
});
