import { describe, expect, it } from 'vitest';
import { ProgressMeter, type ProgressRecord } from '../../../../core/progress/progress-meter';

function meter(totalBytes: number | null) {
  let now = 0;
  const records: ProgressRecord[] = [];
  const m = new ProgressMeter({
    jobId: 'job-1',
    device: 'dev',
    totalBytes,
    emit: (r) => records.push(r),
    now: () => now,
  });
  return { m, records, tick: (ms: number) => (now += ms) };
}

describe('ProgressMeter', () => {
  it('emits at most 4 records a second however often bytes arrive', () => {
    const { m, records, tick } = meter(10_000_000);
    for (let i = 0; i < 1000; i += 1) {
      tick(2); // 1000 chunks over 2 seconds
      m.advance(1000);
    }
    expect(records.length).toBeLessThanOrEqual(9);
    expect(records.length).toBeGreaterThanOrEqual(7);
  });

  it('always emits step changes and the final record', () => {
    const { m, records, tick } = meter(100);
    m.step('transfer');
    tick(1);
    m.advance(100);
    m.finish('verify');
    expect(records.map((r) => r.step)).toEqual(['transfer', 'verify']);
    expect(records.at(-1)).toMatchObject({
      percent: 100,
      bytes: 100,
      etaSec: 0,
      jobId: 'job-1',
      device: 'dev',
    });
  });

  it('measures speed over the window and derives the ETA from it', () => {
    const { m, tick } = meter(10_000);
    for (let i = 0; i < 10; i += 1) {
      tick(100);
      m.advance(100); // 1000 B/s
    }
    const record = m.snapshot();
    expect(record.bytesPerSec).toBeCloseTo(1000, 0);
    expect(record.percent).toBeCloseTo(10);
    expect(record.etaSec).toBeCloseTo(9, 0);
  });

  it('reports unknown percent and ETA when the total is unknown', () => {
    const { m, tick } = meter(null);
    tick(500);
    m.advance(10);
    expect(m.snapshot()).toMatchObject({ percent: null, etaSec: null, bytes: 10 });
  });
});
