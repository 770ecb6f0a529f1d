// @vitest-environment jsdom
import './setup';
import { describe, expect, it, vi } from 'vitest';
import type { Result } from '../../../core/result';
import type { DeckhandApi, VerbInput, VerbOutput } from '../../../main/ipc/contract';
import { MAX_CACHED_PAGES, PAGE_SIZE, createLogsStore, rowAt } from '../../../renderer/src/state/logs-store';
import { createFakeBridge } from './fake-bridge';

/** Resolves once pending promise callbacks have run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('logs store', () => {
  it('fetches only the pages covering the requested rows, once each', async () => {
    const fake = createFakeBridge({ rows: 100_000 });
    const store = createLogsStore(fake.api);
    store.getState().ensureRows(0, 0);
    await settle();
    expect(store.getState().total).toBe(100_000);
    expect(rowAt(store.getState(), 0)?.seq).toBe(100_000);

    store.getState().ensureRows(50_010, 50_150);
    store.getState().ensureRows(50_020, 50_160); // same pages while the first request is in flight
    await settle();
    expect(fake.queries().map((q) => q.offset)).toEqual([0, 50_000, 50_100]);
    expect(rowAt(store.getState(), 50_010)?.seq).toBe(100_000 - 50_010);

    store.getState().ensureRows(50_050, 50_120); // already cached
    await settle();
    expect(fake.queries()).toHaveLength(3);
    expect(fake.queries().every((q) => q.limit === PAGE_SIZE)).toBe(true);
  });

  it('does not ask for pages past the end of the log', async () => {
    const fake = createFakeBridge({ rows: 150 });
    const store = createLogsStore(fake.api);
    store.getState().ensureRows(0, 0);
    await settle();
    store.getState().ensureRows(0, 400);
    await settle();
    expect(fake.queries().map((q) => q.offset)).toEqual([0, 100]);
  });

  it('a new filter drops the cache and ignores replies for the old one', async () => {
    const fake = createFakeBridge({ rows: 1000 });
    let release: (() => void) | undefined;
    const slowApi: DeckhandApi = {
      ...fake.api,
      'logs.query': async (input: VerbInput<'logs.query'>): Promise<Result<VerbOutput<'logs.query'>>> => {
        const result = await fake.api['logs.query'](input);
        if (input.kind === undefined) await new Promise<void>((resolve) => (release = resolve));
        return result;
      },
    };
    const store = createLogsStore(slowApi);
    store.getState().ensureRows(0, 0);
    store.getState().setFilter({ kind: 'deploy.failed', device: null });
    await settle();
    expect(store.getState().total).toBe(250);
    expect(rowAt(store.getState(), 0)?.kind).toBe('deploy.failed');

    release?.(); // the unfiltered reply lands late and must not overwrite the filtered view
    await settle();
    expect(store.getState().total).toBe(250);
    expect(rowAt(store.getState(), 0)?.kind).toBe('deploy.failed');
    expect(fake.queries().at(-1)).toEqual({ offset: 0, limit: PAGE_SIZE, kind: 'deploy.failed' });
  });

  it('refetches the visible pages after an append, coalescing bursts', async () => {
    vi.useFakeTimers();
    try {
      const fake = createFakeBridge({ rows: 10 });
      const store = createLogsStore(fake.api, { refreshDelayMs: 100 });
      const off = store.getState().subscribe();
      store.getState().ensureRows(0, 9);
      await vi.advanceTimersByTimeAsync(0);
      expect(fake.queries()).toHaveLength(1);

      fake.append('deploy.started', 'tcp://rig-a:7700');
      fake.append('deploy.committed', 'tcp://rig-a:7700');
      fake.append('deploy.committed', 'tcp://rig-a:7700');
      await vi.advanceTimersByTimeAsync(100);
      expect(fake.queries()).toHaveLength(2);
      expect(store.getState().total).toBe(13);
      expect(rowAt(store.getState(), 0)?.seq).toBe(13);

      off();
      fake.append('deploy.started', null);
      await vi.advanceTimersByTimeAsync(500);
      expect(fake.queries()).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores appends that the active filter excludes, but adds new facet values', async () => {
    vi.useFakeTimers();
    try {
      const fake = createFakeBridge({ rows: 10 });
      const store = createLogsStore(fake.api, { refreshDelayMs: 10 });
      store.getState().subscribe();
      await store.getState().loadFacets();
      store.getState().setFilter({ kind: 'deploy.failed', device: null });
      await vi.advanceTimersByTimeAsync(0);
      const before = fake.queries().length;
      fake.append('diagnostics.finished', 'tcp://new:7700');
      await vi.advanceTimersByTimeAsync(50);
      expect(fake.queries()).toHaveLength(before);
      expect(store.getState().facets?.kinds).toContain('diagnostics.finished');
      expect(store.getState().facets?.devices).toContain('tcp://new:7700');
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a failed page as an error until retry, without refetching on every scroll', async () => {
    const fake = createFakeBridge({ rows: 500 });
    let failing = true;
    const api: DeckhandApi = {
      ...fake.api,
      'logs.query': (input) =>
        failing
          ? Promise.resolve({
              ok: false,
              error: { code: 'db_locked', message: 'The log is busy. Try again.' },
            })
          : fake.api['logs.query'](input),
    };
    const store = createLogsStore(api);
    store.getState().ensureRows(0, 0);
    await settle();
    expect(store.getState().error?.code).toBe('db_locked');
    expect(store.getState().total).toBeNull();

    failing = false;
    store.getState().ensureRows(0, 50);
    await settle();
    expect(store.getState().total).toBeNull();

    store.getState().retry();
    await settle();
    expect(store.getState().error).toBeNull();
    expect(store.getState().total).toBe(500);
  });

  it('bounds the page cache', async () => {
    const fake = createFakeBridge({ rows: (MAX_CACHED_PAGES + 20) * PAGE_SIZE });
    const store = createLogsStore(fake.api);
    for (let page = 0; page < MAX_CACHED_PAGES + 20; page += 1) {
      store.getState().ensureRows(page * PAGE_SIZE, page * PAGE_SIZE);
      await settle();
    }
    expect(store.getState().pages.size).toBe(MAX_CACHED_PAGES);
    // The pages nearest the last view survive; the farthest (the first ones) went.
    expect(store.getState().pages.has(MAX_CACHED_PAGES + 19)).toBe(true);
    expect(store.getState().pages.has(0)).toBe(false);
  });

  it('reports the chain check and counts events appended since', async () => {
    const fake = createFakeBridge({
      rows: 20,
      chain: {
        valid: false,
        size: 20,
        firstBadSeq: 12,
        reason: 'hash_mismatch',
        lastGoodHash: 'a'.repeat(64),
      },
    });
    const store = createLogsStore(fake.api, { refreshDelayMs: 1 });
    store.getState().subscribe();
    const check = store.getState().verifyChain();
    expect(store.getState().chain.phase).toBe('checking');
    void store.getState().verifyChain(); // ignored while one runs
    await check;
    expect(fake.calls.filter((call) => call.verb === 'logs.verify')).toHaveLength(1);
    expect(store.getState().chain).toMatchObject({
      phase: 'done',
      status: { valid: false, firstBadSeq: 12 },
    });
    fake.append('deploy.started', null);
    expect(store.getState().chain).toMatchObject({ phase: 'done', newSince: 1 });
  });
});
