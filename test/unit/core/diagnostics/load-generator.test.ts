/**
 * The load generator against a fake server whose latency it controls: windows, the stability rule,
 * bounded trials, concurrency, rate mode, error counting and cancellation. Timing is only loosely
 * asserted (a loaded machine must not fail it).
 */
import { describe, expect, it } from 'vitest';
import { runLoad, type RequestOutcome } from '../../../../core/diagnostics/load-generator';
import { loadPlanSchema } from '../../../../core/diagnostics/load-plan';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fakeServer(latencyMs: () => number, failEvery = 0) {
  let inFlight = 0;
  let maxInFlight = 0;
  let count = 0;
  const send = async (): Promise<RequestOutcome> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    count += 1;
    const n = count;
    const ms = latencyMs();
    await delay(ms);
    inFlight -= 1;
    if (failEvery > 0 && n % failEvery === 0) return { ok: false, latencyMs: ms, kind: 'http_5xx' };
    return { ok: true, latencyMs: ms };
  };
  return { send, maxInFlight: () => maxInFlight, count: () => count };
}

const plan = (over: object) =>
  loadPlanSchema.parse({
    mode: 'concurrency',
    levels: [1],
    warmupMs: 20,
    windowMs: 150,
    maxWindows: 6,
    ...over,
  });

describe('runLoad', () => {
  it('keeps N requests outstanding per level and reports windows and levels', async () => {
    const server = fakeServer(() => 5);
    const seen: number[] = [];
    const result = await runLoad({
      plan: plan({ levels: [1, 4] }),
      send: server.send,
      onWindow: (w) => seen.push(w.level),
    });
    expect(result.levels.map((l) => l.level)).toEqual([1, 4]);
    expect(server.maxInFlight()).toBe(4);
    expect(seen.length).toBe(result.windows.length);
    for (const l of result.levels) {
      expect(l.windows).toBeGreaterThanOrEqual(3);
      expect(l.windows).toBeLessThanOrEqual(6);
      expect(l.successRate).toBe(1);
      expect(l.latencyMs.p50).toBeGreaterThanOrEqual(5);
      expect(l.throughput).toBeGreaterThan(0);
    }
    // Four outstanding requests of a fixed latency push more through than one.
    expect(result.levels[1]!.throughput).toBeGreaterThan(result.levels[0]!.throughput * 1.5);
  });

  it('stops a level after maxWindows when it never settles, and marks it unstable', async () => {
    let i = 0;
    const server = fakeServer(() => (i++ % 50 < 25 ? 2 : 30)); // alternating phases
    const result = await runLoad({ plan: plan({ maxWindows: 4, windowMs: 100 }), send: server.send });
    const level = result.levels[0]!;
    expect(level.windows).toBeLessThanOrEqual(4);
    if (!level.stable) expect(level.windows).toBe(4);
  });

  it('counts failures by kind and in the success rate', async () => {
    const server = fakeServer(() => 2, 5);
    const result = await runLoad({ plan: plan({}), send: server.send });
    expect(result.totals.errors.http_5xx).toBeGreaterThan(0);
    expect(result.totals.successRate).toBeGreaterThan(0.7);
    expect(result.totals.successRate).toBeLessThan(0.9);
    expect(result.totals.requests).toBe(result.totals.successes + result.totals.errors.http_5xx);
  });

  it('paces requests in rate mode whatever the latency', async () => {
    const server = fakeServer(() => 40);
    const result = await runLoad({
      plan: plan({ mode: 'rate', levels: [100], windowMs: 200, maxWindows: 3 }),
      send: server.send,
    });
    const level = result.levels[0]!;
    // 100/s with 40 ms latency: several requests overlap, and about 100 complete a second.
    expect(server.maxInFlight()).toBeGreaterThan(1);
    expect(level.throughput).toBeGreaterThan(50);
    expect(level.throughput).toBeLessThan(150);
  });

  it('turns a throwing send into a connection error and stops when cancelled', async () => {
    const abort = new AbortController();
    let calls = 0;
    const result = await runLoad({
      plan: plan({ levels: [1, 2, 4] }),
      send: async () => {
        calls += 1;
        await delay(2);
        if (calls % 2 === 0) throw new Error('reset');
        return { ok: true, latencyMs: 2 };
      },
      onWindow: () => abort.abort(),
      signal: abort.signal,
    });
    expect(result.cancelled).toBe(true);
    expect(result.levels).toHaveLength(0);
  });
});
