import { describe, expect, it } from 'vitest';
import { computeDora, doraBy, doraWindows } from '../../../../core/dora/dora';

describe('computeDora', () => {
  it('computes frequency, failure rate, lead time and time to restore', () => {
    const metrics = computeDora([
      {
        device: 'a',
        site: 's',
        time: '2026-01-01T00:00:00.000Z',
        outcome: 'committed',
        createdAt: '2025-12-31T00:00:00.000Z',
      },
      { device: 'a', site: 's', time: '2026-01-02T00:00:00.000Z', outcome: 'failed' },
      {
        device: 'a',
        site: 's',
        time: '2026-01-02T01:00:00.000Z',
        outcome: 'committed',
        createdAt: '2026-01-01T23:00:00.000Z',
      },
      { device: 'b', site: 's', time: '2026-01-03T00:00:00.000Z', outcome: 'committed' },
    ]);
    expect(metrics).toEqual({
      deployments: 4,
      failures: 1,
      deploymentsPerDay: 1.5, // 3 commits over the 2 days from first to last deploy
      changeFailureRate: 0.25,
      leadTimeMedianSec: (86_400 + 7_200) / 2,
      timeToRestoreMedianSec: 3600,
    });
  });

  it('reports nulls rather than zeros when there is nothing to measure', () => {
    expect(computeDora([])).toMatchObject({
      deployments: 0,
      changeFailureRate: null,
      leadTimeMedianSec: null,
      timeToRestoreMedianSec: null,
    });
  });
});

describe('DORA windows and groups', () => {
  const now = new Date('2026-03-31T00:00:00.000Z');
  const day = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
  const outcomes = [
    { device: 'a', site: 'rig-1', time: day(80), outcome: 'committed' as const, createdAt: day(81) },
    { device: 'a', site: 'rig-1', time: day(20), outcome: 'failed' as const },
    { device: 'a', site: 'rig-1', time: day(19), outcome: 'committed' as const },
    { device: 'b', site: 'rig-2', time: day(3), outcome: 'committed' as const, createdAt: day(4) },
    { device: 'b', site: null, time: day(1), outcome: 'failed' as const },
    { device: 'c', site: 'rig-2', time: day(200), outcome: 'committed' as const },
  ];

  it('counts only the outcomes inside each window, with frequency per window day', () => {
    const [week, month, quarter] = doraWindows(outcomes, now);
    expect(week).toMatchObject({
      windowDays: 7,
      metrics: { deployments: 2, failures: 1, changeFailureRate: 0.5 },
    });
    expect(week?.metrics.deploymentsPerDay).toBeCloseTo(1 / 7);
    expect(month?.metrics).toMatchObject({ deployments: 4, failures: 2, timeToRestoreMedianSec: 86_400 });
    expect(quarter?.metrics).toMatchObject({ deployments: 5, leadTimeMedianSec: 86_400 });
    expect(quarter?.metrics.deploymentsPerDay).toBeCloseTo(3 / 90);
  });

  it('groups by device and by site, unknown sites together', () => {
    const byDevice = doraBy(outcomes, 'device', now);
    expect(Object.keys(byDevice).sort()).toEqual(['a', 'b', 'c']);
    expect(byDevice['c']?.[2]?.metrics.deployments).toBe(0);
    const bySite = doraBy(outcomes, 'site', now);
    expect(Object.keys(bySite).sort()).toEqual(['rig-1', 'rig-2', 'unknown']);
    expect(bySite['unknown']?.[0]?.metrics).toMatchObject({ deployments: 1, failures: 1 });
  });
});
