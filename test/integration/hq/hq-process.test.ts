/**
 * HQ as a real `deckhand hq serve` process: the command-line flow (sync, resync, export,
 * import on a second HQ), and HQ killed with SIGKILL in the middle of an upload and restarted,
 * on SQLite and on PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHqStore } from '../../../hq/store/open-store';
import { DECKHAND_BIN, runDeckhand } from '../../support/run-deckhand';
import {
  hqChain,
  laptopChain,
  openLaptop,
  seedLaptop,
  sqliteUrl,
  TEST_PASSPHRASE,
  type HqDbKind,
} from '../../support/hq-harness';
import { postgresAvailable, usePostgres } from '../../support/postgres';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs('deckhand-hq-process-');
const newPgDb = usePostgres();
const pgPresent = postgresAvailable();

interface HqProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
}

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
});

/** Starts `deckhand hq serve` and waits for its JSON line. */
function serve(db: string, listen = '127.0.0.1:0'): Promise<HqProcess> {
  const child = spawn(
    process.execPath,
    [DECKHAND_BIN, 'hq', 'serve', '--listen', listen, '--db', db, '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DECKHAND_DATA_DIR: tempDir() },
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      const line = JSON.parse(out.split('\n')[0]!) as { ok: boolean; url: string; port: number };
      if (line.ok) resolve({ child, url: line.url, port: line.port });
      else reject(new Error(out));
    });
    child.once('exit', (code) => reject(new Error(`hq serve exited with ${code}: ${err}`)));
  });
}

async function dbFor(kind: HqDbKind): Promise<string> {
  return kind === 'sqlite' ? sqliteUrl(tempDir()) : newPgDb();
}

async function heldBy(db: string, technician: string) {
  const store = await openHqStore(db);
  try {
    return await hqChain(store, technician);
  } finally {
    await store.close();
  }
}

describe.each([
  ['sqlite', true],
  ['postgres', pgPresent],
] as const)('deckhand hq serve on %s', (kind, present) => {
  it.skipIf(!present)(
    'CLI: sync, sync again (nothing new), export + hq import on a second HQ give the same set',
    { timeout: 120_000 },
    async () => {
      const db = await dbFor(kind);
      const hq = await serve(db);
      const laptop = tempDir();
      seedLaptop(laptop, 250);
      const passphrase = join(tempDir(), 'passphrase');
      writeFileSync(passphrase, `${TEST_PASSPHRASE}\n`);
      const common = ['--data-dir', laptop, '--passphrase-file', passphrase, '--json'];

      const first = runDeckhand(['sync', '--hq', hq.url, '--name', 'Ada', ...common]);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stderr).toContain('done 100%');
      const synced = JSON.parse(first.stdout) as {
        ok: true;
        sent: number;
        receipt: { technician: string; size: number };
      };
      expect(synced).toMatchObject({ ok: true, sent: 250, receipt: { size: 250 } });
      const technician = synced.receipt.technician;
      expect(await heldBy(db, technician)).toEqual(laptopChain(laptop));

      const again = runDeckhand(['sync', ...common]);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, sent: 0, receipt: { size: 250 } });

      const file = join(tempDir(), 'trip.dhlog');
      const exported = runDeckhand(['logs', 'export', '--out', file, ...common]);
      expect(JSON.parse(exported.stdout)).toMatchObject({ ok: true, size: 250 });
      const second = await dbFor(kind);
      const imported = runDeckhand(['hq', 'import', file, '--db', second, '--json']);
      expect(JSON.parse(imported.stdout)).toMatchObject({ ok: true, added: 250, size: 250 });
      expect(await heldBy(second, technician)).toEqual(laptopChain(laptop));
      const twice = runDeckhand(['hq', 'import', file, '--db', second, '--json']);
      expect(JSON.parse(twice.stdout)).toMatchObject({ ok: true, added: 0 });
      // Importing the file into the HQ that the laptop synced with (overlapping the sync) adds nothing.
      const overlap = runDeckhand(['hq', 'import', file, '--db', db, '--json']);
      expect(JSON.parse(overlap.stdout)).toMatchObject({ ok: true, added: 0 });
      expect(await heldBy(db, technician)).toEqual(laptopChain(laptop));
    },
  );

  it.skipIf(!present)(
    'HQ killed mid-batch and restarted ends with exactly the laptop events',
    { timeout: 120_000 },
    async () => {
      const db = await dbFor(kind);
      let hq = await serve(db);
      const dir = tempDir();
      seedLaptop(dir, 4000);
      const laptop = openLaptop(dir, {
        batchSize: 500,
        maxAttempts: 200,
        backoffBaseMs: 20,
        backoffMaxMs: 200,
      });
      try {
        await laptop.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
        let killed: Promise<void> | null = null;
        const off = laptop.events.subscribe((name, payload) => {
          if (name !== 'progress' || killed !== null || (payload as { bytes: number }).bytes === 0) return;
          // The next batch is already on its way: kill HQ under it.
          const victim = hq.child;
          killed = new Promise<void>((resolve) => {
            victim.once('exit', () => resolve());
            setTimeout(() => victim.kill('SIGKILL'), 5);
          });
        });
        const syncing = laptop.sync.syncNow();
        while (killed === null) await new Promise((resolve) => setTimeout(resolve, 10));
        await killed;
        off();
        hq = await serve(db, `127.0.0.1:${hq.port}`);
        const outcome = await syncing;
        expect(outcome.receipt.receipt.size).toBe(4000);
        expect(await heldBy(db, outcome.receipt.receipt.technician)).toEqual(laptopChain(dir));
      } finally {
        laptop.close();
      }
    },
  );
});
