import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DeckhandError } from '../../../../core/result';
import { DB_FILE_NAME, openDatabase } from '../../../../main/db/database';
import { EventLogStore } from '../../../../main/db/event-log-store';
import { MIGRATIONS } from '../../../../main/db/migrations/index';
import { requirePrerequisite } from '../../../support/prerequisites';
import { useTempDirs } from '../../../support/temp-dir';
import { canMount, mountTmpfs } from '../../../support/tmpfs';

const tempDir = useTempDirs();
const mountable = canMount();

function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    if (error instanceof DeckhandError) return error.code;
    throw error;
  }
  throw new Error('expected a DeckhandError');
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('openDatabase', () => {
  it('creates the database in WAL mode with synchronous=FULL and the current schema', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'nested', 'data'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all()).toContain('events');
    db.close();
  });

  it('opens an existing database without re-running migrations', () => {
    const dir = tempDir();
    const first = openDatabase(dir);
    new EventLogStore(first).append({ kind: 'app.started', device: null, payload: {} });
    first.close();
    const second = openDatabase(dir);
    expect(new EventLogStore(second).count()).toBe(1);
    second.close();
  });

  it('applies migrations in one transaction: a failing step leaves nothing behind', () => {
    const dir = tempDir();
    const broken = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (x INTEGER); THIS IS NOT SQL;' },
    ];
    expect(() => openDatabase(dir, { migrations: broken })).toThrow();
    const raw = new Database(join(dir, DB_FILE_NAME));
    expect(raw.pragma('user_version', { simple: true })).toBe(0);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all()).toEqual([]);
    raw.close();
  });

  it('refuses a database written by a newer Deckhand', () => {
    const dir = tempDir();
    const raw = new Database(join(dir, DB_FILE_NAME));
    raw.pragma('user_version = 99');
    raw.close();
    expect(codeOf(() => openDatabase(dir))).toBe('db_corrupt');
  });

  it('reports a corrupt file as db_corrupt and leaves it untouched', () => {
    const dir = tempDir();
    const file = join(dir, DB_FILE_NAME);
    writeFileSync(file, randomBytes(8192));
    const before = sha256(file);
    expect(codeOf(() => openDatabase(dir))).toBe('db_corrupt');
    expect(sha256(file)).toBe(before);
  });

  it('reports a database held exclusively by another connection as db_locked', () => {
    const dir = tempDir();
    openDatabase(dir).close();
    const holder = new Database(join(dir, DB_FILE_NAME));
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS hold (x); ');
    try {
      expect(codeOf(() => openDatabase(dir, { busyTimeoutMs: 100 }))).toBe('db_locked');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  });

  it('reports a write blocked by another writer as db_locked and records nothing', () => {
    const dir = tempDir();
    const db = openDatabase(dir, { busyTimeoutMs: 100 });
    const store = new EventLogStore(db);
    const other = new Database(join(dir, DB_FILE_NAME));
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(codeOf(() => store.append({ kind: 'app.started', device: null, payload: {} }))).toBe(
        'db_locked',
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(store.count()).toBe(0);
    db.close();
  });

  it.skipIf(process.getuid?.() === 0)('reports a data folder without write permission as db_readonly', () => {
    const dir = tempDir();
    chmodSync(dir, 0o555);
    try {
      expect(codeOf(() => openDatabase(join(dir, 'data')))).toBe('db_readonly');
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it.runIf(requirePrerequisite(mountable, 'mounting tmpfs', 'run the tests as root, as CI does'))(
    'reports a read-only file system as db_readonly and keeps the existing log readable',
    () => {
      const mount = mountTmpfs(1024);
      try {
        const db = openDatabase(mount.path);
        new EventLogStore(db).append({ kind: 'app.started', device: null, payload: {} });
        db.close();
        mount.remountReadOnly();
        expect(codeOf(() => openDatabase(mount.path))).toBe('db_readonly');
      } finally {
        mount.unmount();
      }
    },
  );

  it.runIf(requirePrerequisite(mountable, 'mounting tmpfs', 'run the tests as root, as CI does'))(
    'reports a full disk as disk_full, and every event that was acknowledged is still there and verifies',
    () => {
      const mount = mountTmpfs(256);
      try {
        const db = openDatabase(mount.path);
        const store = new EventLogStore(db);
        const filler = 'x'.repeat(4000);
        let acknowledged = 0;
        let failure = '';
        for (let i = 0; i < 10_000 && failure === ''; i += 1) {
          try {
            store.append({ kind: 'test.fill', device: null, payload: { i, filler } });
            acknowledged += 1;
          } catch (error) {
            failure = error instanceof DeckhandError ? error.code : String(error);
          }
        }
        expect(failure).toBe('disk_full');
        expect(acknowledged).toBeGreaterThan(0);
        expect(store.count()).toBe(acknowledged);
        expect(store.verify()).toMatchObject({ valid: true, size: acknowledged });
        db.close();
      } finally {
        mount.unmount();
      }
    },
  );
});
