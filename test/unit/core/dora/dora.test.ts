import { describe, expect, it } from 'vitest';
import { computeDora } from '../../../../core/dora/dora';

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
