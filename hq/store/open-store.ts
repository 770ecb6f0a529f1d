/** Opens the HQ store a `--db` URL names: `sqlite:PATH` (default) or `postgres://…`. */
import { resolve } from 'node:path';
import { DeckhandError } from '../../core/result';
import type { HqStore } from './hq-store';
import { openPostgresHqStore } from './postgres-store';
import { openSqliteHqStore } from './sqlite-store';

/** Parses `--db` and opens the store. */
export async function openHqStore(url: string): Promise<HqStore> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return openPostgresHqStore(url);
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') throw new DeckhandError('usage', '--db sqlite: needs a file path, e.g. sqlite:hq.db.');
    return openSqliteHqStore(resolve(path));
  }
  throw new DeckhandError(
    'usage',
    `"${url}" is not a database URL HQ knows. Use sqlite:PATH or postgres://user@host/db.`,
  );
}
