import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DeckhandError } from '../../../../core/result';
import { DB_FILE_NAME, openDatabase } from '../../../../main/db/database';
import { EventLogStore } from '../../../../main/db/event-log-store';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();

function openStore(): { dir: string; store: EventLogStore; close: () => void } {
  const dir = tempDir();
  const db = openDatabase(dir);
  let tick = 0;
  const store = new EventLogStore(db, () => new Date(Date.UTC(2026, 10, 27, 12, 0, 0, tick++)));
  return { dir, store, close: () => db.close() };
}

describe('EventLogStore', () => {
  it('appends chained events with consecutive seqs and pages them newest first', () => {
    const { store, close } = openStore();
    const first = store.append({ kind: 'bundle.imported', device: null, payload: { name: 'site-42' } });
    const second = store.append({
      kind: 'deploy.committed',
      device: 'tcp://10.0.0.2:7400',
      payload: { version: '2.3.0' },
    });
    expect(second.prevHash).toBe(first.hash);
    expect(store.page({}, 0, 10).map((row) => row.seq)).toEqual([2, 1]);
    expect(store.page({ device: 'tcp://10.0.0.2:7400' }, 0, 10).map((row) => row.kind)).toEqual([
      'deploy.committed',
    ]);
    expect(store.count({ kind: 'bundle.imported' })).toBe(1);
    expect(store.facets()).toEqual({
      kinds: ['bundle.imported', 'deploy.committed'],
      devices: ['tcp://10.0.0.2:7400'],
    });
    expect(store.verify()).toEqual({ valid: true, size: 2, head: second.hash });
    close();
  });

  it('appends a batch atomically: one bad draft records none of them', () => {
    const { store, close } = openStore();
    expect(() =>
      store.appendMany([
        { kind: 'ok.event', device: null, payload: {} },
        { kind: 'Bad Kind!', device: null, payload: {} },
      ]),
    ).toThrow(DeckhandError);
    expect(store.count()).toBe(0);
    close();
  });

  it.each([
    ['a non-finite number', { kind: 'x.y', device: null, payload: { n: Number.NaN } }],
    ['an empty device', { kind: 'x.y', device: '', payload: {} }],
    ['an invalid kind', { kind: '', device: null, payload: {} }],
  ])('refuses %s with invalid_input', (_what, draft) => {
    const { store, close } = openStore();
    expect(() => store.append(draft as never)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    close();
  });

  it('refuses UPDATE, DELETE and out-of-order INSERT at the database level', () => {
    const { dir, store, close } = openStore();
    store.append({ kind: 'a.b', device: null, payload: {} });
    const raw = new Database(join(dir, DB_FILE_NAME));
    expect(() => raw.prepare("UPDATE events SET kind = 'x.y'").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    expect(() =>
      raw
        .prepare(
          "INSERT INTO events (seq, time, kind, device, payload, prev_hash, hash) VALUES (5, 't', 'k', NULL, '{}', 'p', 'h')",
        )
        .run(),
    ).toThrow(/out of order/);
    raw.close();
    expect(store.verify()).toMatchObject({ valid: true, size: 1 });
    close();
  });

  it('names the first bad seq when a row is altered behind its back', () => {
    const { dir, store, close } = openStore();
    for (let i = 0; i < 20; i += 1) store.append({ kind: 'test.step', device: null, payload: { i } });
    const raw = new Database(join(dir, DB_FILE_NAME));
    raw.exec('DROP TRIGGER events_no_update');
    raw.prepare('UPDATE events SET payload = ? WHERE seq = 13').run('{"i":1300}');
    raw.close();
    expect(store.verify()).toMatchObject({
      valid: false,
      firstBadSeq: 13,
      reason: 'hash_mismatch',
      size: 20,
    });
    close();
  });

  it('pages and filters deep into a log of 100,000 events', () => {
    const { store, close } = openStore();
    const drafts = Array.from({ length: 100_000 }, (_, i) => ({
      kind: i % 3 ? 'deploy.progress' : 'deploy.step',
      device: `dev-${i % 7}`,
      payload: { i },
    }));
    store.appendMany(drafts);
    expect(store.count()).toBe(100_000);
    const deep = store.page({ kind: 'deploy.step' }, 30_000, 100);
    expect(deep).toHaveLength(100);
    expect(deep[0]!.kind).toBe('deploy.step');
    expect(store.verify()).toMatchObject({ valid: true, size: 100_000 });
    close();
  });
});
