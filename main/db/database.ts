/**
 * Opens Deckhand's SQLite database: WAL for concurrent readers (the CLI beside the app),
 * `synchronous=FULL` so a committed event survives power loss (better-sqlite3's NORMAL can lose the
 * last commits), numbered migrations in one transaction tracked by `user_version`. Failures the
 * technician can meet (locked, read-only, corrupt, disk full) become coded DeckhandErrors.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DeckhandError } from '../../core/result';
import { MIGRATIONS, type Migration } from './migrations/index';

/** The open database handle. */
export type Db = Database.Database;

/** The database file name inside the data folder. */
export const DB_FILE_NAME = 'deckhand.db';

export interface OpenDatabaseOptions {
  /** How long to wait for another process's lock before reporting `db_locked`. */
  readonly busyTimeoutMs?: number;
  /** A better-sqlite3 binary built for another runtime (Electron's ABI in development). */
  readonly nativeBinding?: string | undefined;
  /** For tests: migrations to apply instead of the shipped ones. */
  readonly migrations?: readonly Migration[];
}

/** Opens (creating if needed) the database in `dataDir` and brings its schema up to date. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): Db {
  const file = join(dataDir, DB_FILE_NAME);
  return withDbErrors(file, () => {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    try {
      db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
      // Reading the schema first surfaces "not a database" before we change anything.
      db.pragma('schema_version');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new DeckhandError(
          'db_readonly',
          `Deckhand could not switch ${file} to WAL mode (it reports "${String(mode)}").`,
        );
      }
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, options.migrations ?? MIGRATIONS);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  });
}

/** Applies pending migrations atomically: either all of them land or none does. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length;
  if (current > latest) {
    throw new DeckhandError(
      'db_corrupt',
      `This data folder was written by a newer Deckhand (schema ${current}, this version knows ${latest}). Update Deckhand before opening it.`,
    );
  }
  if (current === latest) return;
  db.transaction(() => {
    for (const migration of migrations.slice(current)) {
      db.exec(migration.sql);
    }
    db.pragma(`user_version = ${latest}`);
  }).immediate();
}

/** Runs `work` and turns SQLite and file-system failures into coded, technician-facing errors. */
export function withDbErrors<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw toDbError(file, error);
  }
}

/** Maps a thrown SQLite or file-system error to a DeckhandError (others pass through unchanged). */
export function toDbError(file: string, error: unknown): unknown {
  if (error instanceof DeckhandError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new DeckhandError(
      'db_locked',
      `Deckhand's database is in use by another program (${file}). Close other Deckhand windows or commands and try again.`,
    );
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'EACCES' ||
    code === 'EROFS' ||
    code === 'EPERM'
  ) {
    return new DeckhandError(
      'db_readonly',
      `Deckhand cannot write its database (${file}). Check that the data folder is on a writable drive and that you have permission to write it.`,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new DeckhandError(
      'db_corrupt',
      `Deckhand's database is damaged (${file}). Nothing was changed. Keep a copy of the file for HQ and start with a new data folder.`,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code.startsWith('SQLITE_IOERR')) {
    return new DeckhandError(
      'disk_full',
      `The drive holding Deckhand's data is full or failing (${file}). The last action was not saved. Free some space and try again.`,
    );
  }
  return error;
}
