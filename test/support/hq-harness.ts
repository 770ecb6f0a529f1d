/** An in-process HQ (SQLite or PostgreSQL) and laptop backends wired for sync tests. */
import { join } from 'node:path';
import { openDatabase } from '../../main/db/database';
import { EventLogStore } from '../../main/db/event-log-store';
import { openBackend, type Backend } from '../../main/services/backend';
import {
  createPassphraseProtector,
  TechnicianKey,
  type KeyProtector,
} from '../../main/services/technician-key';
import type { SyncPolicy } from '../../main/services/sync-service';
import { loadHqKeys, type HqKeys } from '../../hq/hq-identity';
import { HqService } from '../../hq/hq-service';
import { startHqServer, type RunningHq } from '../../hq/server';
import { openHqStore } from '../../hq/store/open-store';
import type { HqStore } from '../../hq/store/hq-store';

/** The database kinds HQ runs on. */
export type HqDbKind = 'sqlite' | 'postgres';

/** A running in-process HQ. */
export interface TestHq {
  readonly url: string;
  readonly port: number;
  readonly dbUrl: string;
  readonly store: HqStore;
  readonly service: HqService;
  readonly keys: HqKeys;
  readonly server: RunningHq;
  close(): Promise<void>;
}

/** Starts HQ on a database URL. */
export async function startTestHq(dbUrl: string): Promise<TestHq> {
  const store = await openHqStore(dbUrl);
  const keys = await loadHqKeys(store, { name: 'Test HQ' });
  const service = new HqService(store, keys);
  const server = await startHqServer({ service, keys, host: '127.0.0.1', port: 0 });
  return {
    url: server.url,
    port: server.port,
    dbUrl,
    store,
    service,
    keys,
    server,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** The passphrase test laptops use. */
export const TEST_PASSPHRASE = 'correct horse battery staple';

let sharedProtector: KeyProtector | null = null;

/** One passphrase protector for all tests (scrypt is deliberately slow). */
export function testProtector(): KeyProtector {
  sharedProtector ??= createPassphraseProtector(TEST_PASSPHRASE);
  return sharedProtector;
}

/** Fast retry policy for tests. */
export const TEST_POLICY: Partial<SyncPolicy> = {
  batchSize: 50,
  maxAttempts: 40,
  backoffBaseMs: 5,
  backoffMaxMs: 100,
};

/** Opens a laptop backend on `dataDir`. */
export function openLaptop(dataDir: string, policy: Partial<SyncPolicy> = TEST_POLICY): Backend {
  return openBackend({
    dataDir,
    host: 'cli',
    version: 'test',
    keyProtector: testProtector(),
    syncPolicy: policy,
  });
}

/** Appends `count` deploy-like events to a laptop's log. */
export function seedLaptop(dataDir: string, count: number, offset = 0): void {
  const db = openDatabase(dataDir);
  const kinds = ['deploy.started', 'deploy.committed', 'diagnostics.finished', 'deploy.rolled_back'];
  new EventLogStore(db).appendMany(
    Array.from({ length: count }, (_, k) => {
      const i = k + offset;
      return {
        kind: kinds[i % kinds.length]!,
        device: `tcp://10.0.0.${(i % 9) + 1}:7400`,
        payload: {
          i,
          site: `site-${i % 3}`,
          targetKind: i % 2 ? 'release' : 'model',
          name: 'app',
          version: `1.${i}`,
          verdict: 'pass',
        },
      };
    }),
  );
  db.close();
}

/** The laptop's events as (seq, hash) pairs. */
export function laptopChain(dataDir: string): { seq: number; hash: string }[] {
  const db = openDatabase(dataDir);
  try {
    return db.prepare('SELECT seq, hash FROM events ORDER BY seq').all() as { seq: number; hash: string }[];
  } finally {
    db.close();
  }
}

/** HQ's events for a technician as (seq, hash) pairs. */
export async function hqChain(store: HqStore, technician: string): Promise<{ seq: number; hash: string }[]> {
  const rows = await store.events(technician, 1, 10_000_000);
  return rows.map((row) => ({ seq: row.seq, hash: row.hash }));
}

/** The laptop's technician key (to forge things a thief with the key could). */
export function laptopKey(dataDir: string): TechnicianKey {
  return new TechnicianKey(dataDir, testProtector());
}

/** The SQLite database URL for a temp folder. */
export function sqliteUrl(dir: string, name = 'hq.db'): string {
  return `sqlite:${join(dir, name)}`;
}
