/**
 * Sync end to end against a real HQ over HTTPS, on SQLite and on PostgreSQL: the laptop's events
 * arrive exactly once through any fault, resyncs and re-imports change nothing, and tampering,
 * revocation and forged branches are refused with the first bad seq named.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DeckhandError } from '../../../core/result';
import { chainEvent } from '../../../core/eventlog/chain';
import { canonicalJson } from '../../../core/eventlog/canonical-json';
import { signCheckpoint } from '../../../core/sync/checkpoint';
import type { WireEvent } from '../../../core/sync/wire';
import { createHttpsHqClient } from '../../../main/adapters/hq-client';
import { DB_FILE_NAME } from '../../../main/db/database';
import type { Backend } from '../../../main/services/backend';
import { startFaultProxy } from '../../support/fault-proxy';
import {
  hqChain,
  laptopChain,
  laptopKey,
  openLaptop,
  seedLaptop,
  sqliteUrl,
  startTestHq,
  type HqDbKind,
  type TestHq,
} from '../../support/hq-harness';
import { postgresAvailable, usePostgres } from '../../support/postgres';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs('deckhand-sync-');
const newPgDb = usePostgres();
const pgPresent = postgresAvailable();

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

async function hqOn(kind: HqDbKind): Promise<TestHq> {
  const hq = await startTestHq(kind === 'sqlite' ? sqliteUrl(tempDir()) : await newPgDb());
  open.push(hq);
  return hq;
}

function laptop(events: number): { dir: string; backend: Backend } {
  const dir = tempDir();
  if (events > 0) seedLaptop(dir, events);
  const backend = openLaptop(dir);
  open.push(backend);
  return { dir, backend };
}

async function rejection(promise: Promise<unknown>): Promise<DeckhandError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeckhandError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Opens the laptop's SQLite file behind Deckhand's back, without the append-only triggers. */
function tamper(dir: string, sql: string): void {
  const db = new Database(join(dir, DB_FILE_NAME));
  db.exec(
    'DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete; DROP TRIGGER events_append_only_in_order;',
  );
  db.exec(sql);
  db.close();
}

describe.each([
  ['sqlite', true],
  ['postgres', pgPresent],
] as const)('HQ on %s', (kind, present) => {
  it.skipIf(!present)(
    'holds exactly the laptop events after a sync; a second sync sends nothing',
    async () => {
      const hq = await hqOn(kind);
      const { dir, backend } = laptop(137);
      await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
      const first = await backend.sync.syncNow();
      expect(first.sent).toBe(137);
      expect(first.batches).toBe(3);
      const technician = first.receipt.receipt.technician;
      expect(await hqChain(hq.store, technician)).toEqual(laptopChain(dir));
      const status = await backend.sync.status({ probe: true });
      expect(status).toMatchObject({ pending: 0, reachable: true, lastReceipt: { size: 137 } });

      const again = await backend.sync.syncNow();
      expect(again).toMatchObject({ sent: 0, batches: 0 });
      seedLaptop(dir, 5, 137);
      expect((await backend.sync.status()).pending).toBe(5);
      expect((await backend.sync.syncNow()).sent).toBe(5);
      expect(await hqChain(hq.store, technician)).toEqual(laptopChain(dir));
    },
  );

  it.skipIf(!present)(
    'export + import on a second HQ gives the same set; importing twice or over a sync changes nothing',
    async () => {
      const hq = await hqOn(kind);
      const { dir, backend } = laptop(120);
      await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
      const { receipt } = await backend.sync.syncNow();
      seedLaptop(dir, 30, 120);
      const file = join(tempDir(), 'trip.dhlog');
      expect(backend.sync.exportLog(file).size).toBe(150);

      const other = await hqOn(kind);
      const imported = await other.service.importFile(file, { enrolUnknown: true });
      expect(imported).toMatchObject({ size: 150, added: 150 });
      expect(await hqChain(other.store, receipt.receipt.technician)).toEqual(laptopChain(dir));
      expect(await other.service.importFile(file, { enrolUnknown: true })).toMatchObject({ added: 0 });
      expect(await hqChain(other.store, receipt.receipt.technician)).toEqual(laptopChain(dir));

      // The first HQ already holds 1..120 from the sync: the file adds exactly 121..150.
      expect(await hq.service.importFile(file, { enrolUnknown: false })).toMatchObject({ added: 30 });
      expect(await hqChain(hq.store, receipt.receipt.technician)).toEqual(laptopChain(dir));
      // …and the laptop's next sync finds HQ already holds everything.
      expect(await backend.sync.syncNow()).toMatchObject({ sent: 0, receipt: { receipt: { size: 150 } } });
      expect((await backend.sync.status()).pending).toBe(0);
    },
  );

  it.skipIf(!present)(
    'ends with exactly the laptop events through a proxy that drops, duplicates, reorders, delays and cuts',
    async () => {
      const hq = await hqOn(kind);
      const proxy = await startFaultProxy({
        targetPort: hq.port,
        tls: hq.keys.tls,
        seed: kind === 'sqlite' ? 7 : 11,
      });
      open.push(proxy);
      const { dir, backend } = laptop(1500);
      await backend.sync.enrol({ hqUrl: proxy.url, technicianName: 'Ada' });
      proxy.setFaulty(true);
      const outcome = await backend.sync.syncNow();
      await proxy.settle();
      expect(outcome.receipt.receipt.size).toBe(1500);
      expect(await hqChain(hq.store, outcome.receipt.receipt.technician)).toEqual(laptopChain(dir));
      expect(await hq.store.countEvents()).toBe(1500);
      for (const fault of ['dropped', 'duplicated', 'reordered', 'delayed', 'cut'] as const)
        expect(proxy.stats[fault], fault).toBeGreaterThan(0);
    },
  );

  describe.each([
    ['an edited row', 'UPDATE events SET payload = \'{"edited":true}\' WHERE seq = 57', 57, 'hash_mismatch'],
    ['a deleted row', 'DELETE FROM events WHERE seq = 57', 57, 'seq_gap'],
    [
      'two reordered rows',
      `UPDATE events SET seq = -1 WHERE seq = 57; UPDATE events SET seq = 57 WHERE seq = 58; UPDATE events SET seq = 58 WHERE seq = -1;`,
      57,
      'prev_hash_mismatch',
    ],
  ])('refuses a log with %s', (_what, sql, firstBadSeq, reason) => {
    it.skipIf(!present)('and names the first bad seq', async () => {
      const hq = await hqOn(kind);
      const { dir, backend } = laptop(40);
      await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
      const { receipt } = await backend.sync.syncNow();
      seedLaptop(dir, 60, 40);
      tamper(dir, sql);
      const error = await rejection(backend.sync.syncNow());
      expect(error.code).toBe('chain_broken');
      expect(error.details).toMatchObject({ firstBadSeq, reason });
      expect(error.message).toContain(`seq ${firstBadSeq}`);
      // HQ kept what verified before the bad row and nothing after it.
      const held = await hqChain(hq.store, receipt.receipt.technician);
      expect(held.length).toBeLessThan(firstBadSeq);
      expect(held).toEqual(laptopChain(dir).slice(0, held.length));
    });
  });

  it.skipIf(!present)('refuses a truncated or edited .dhlog and names the first bad seq', async () => {
    const hq = await hqOn(kind);
    const { backend } = laptop(30);
    const file = join(tempDir(), 'trip.dhlog');
    backend.sync.exportLog(file);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');

    const cut = join(tempDir(), 'cut.dhlog');
    writeFileSync(cut, `${[...lines.slice(0, 21), lines[lines.length - 1]].join('\n')}\n`);
    const truncated = await rejection(hq.service.importFile(cut, { enrolUnknown: true }));
    expect(truncated).toMatchObject({ code: 'chain_broken', details: { firstBadSeq: 21 } });

    const noTrailer = join(tempDir(), 'no-trailer.dhlog');
    writeFileSync(noTrailer, `${lines.slice(0, 25).join('\n')}\n`);
    expect(await rejection(hq.service.importFile(noTrailer, { enrolUnknown: true }))).toMatchObject({
      code: 'truncated',
      details: { firstBadSeq: 25 },
    });

    const edited = join(tempDir(), 'edited.dhlog');
    const event = JSON.parse(lines[9] as string) as WireEvent;
    lines[9] = JSON.stringify({ ...event, payloadJson: canonicalJson({ i: 999 }) });
    writeFileSync(edited, `${lines.join('\n')}\n`);
    expect(await rejection(hq.service.importFile(edited, { enrolUnknown: true }))).toMatchObject({
      code: 'chain_broken',
      details: { firstBadSeq: 9 },
    });
    expect(await hq.store.countEvents()).toBe(0);
  });

  it.skipIf(!present)('refuses a revoked key', async () => {
    const hq = await hqOn(kind);
    const { dir, backend } = laptop(10);
    await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
    const { receipt } = await backend.sync.syncNow();
    await hq.service.revoke(receipt.receipt.technician);
    seedLaptop(dir, 5, 10);
    expect((await rejection(backend.sync.syncNow())).code).toBe('key_revoked');
    expect(await hq.store.countEvents()).toBe(10);
    const file = join(tempDir(), 'trip.dhlog');
    backend.sync.exportLog(file);
    expect((await rejection(hq.service.importFile(file, { enrolUnknown: true }))).code).toBe('key_revoked');
  });

  it.skipIf(!present)(
    'detects a forged branch signed after the last receipt as inconsistent with it',
    async () => {
      const hq = await hqOn(kind);
      const { dir, backend } = laptop(20);
      await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
      const { receipt } = await backend.sync.syncNow();
      const technician = receipt.receipt.technician;
      const key = laptopKey(dir).privateKey();
      const real = (await hq.store.events(technician, 1, 100)).map(({ technician: _t, ...event }) => event);

      // A thief with the key rewrites history from seq 16 and signs it: HQ's receipt covers 1..20.
      const forge = (from: WireEvent, count: number): WireEvent[] => {
        const out: WireEvent[] = [];
        let previous = { seq: from.seq, hash: from.hash };
        for (let i = 0; i < count; i += 1) {
          const e = chainEvent(
            previous,
            { kind: 'deploy.committed', device: 'tcp://evil:1', payload: { forged: i } },
            new Date(),
          );
          out.push({
            seq: e.seq,
            time: e.time,
            kind: e.kind,
            device: e.device,
            payloadJson: canonicalJson(e.payload),
            prevHash: e.prevHash,
            hash: e.hash,
          });
          previous = e;
        }
        return out;
      };
      const client = createHttpsHqClient({ url: hq.url, certPem: hq.keys.tls.certPem });
      open.push(client);
      const send = (events: WireEvent[]) => {
        const last = events[events.length - 1]!;
        const checkpoint = signCheckpoint(key, {
          v: 1,
          technician,
          size: last.seq,
          head: last.hash,
          time: new Date().toISOString(),
        });
        return client.postBatch({ technician, events, checkpoint });
      };
      const overlapping = await rejection(send(forge(real[14]!, 10)));
      expect(overlapping).toMatchObject({ code: 'inconsistent_log', details: { firstBadSeq: 16 } });
      // A branch that starts after the receipt but does not continue its head.
      const fakeTwenty = forge(real[18]!, 1)[0]!;
      const afterReceipt = await rejection(send(forge(fakeTwenty, 5)));
      expect(afterReceipt).toMatchObject({ code: 'inconsistent_log', details: { firstBadSeq: 21 } });
      expect(await hqChain(hq.store, technician)).toEqual(laptopChain(dir));

      // The laptop too: a local log rewritten under the receipt is caught when HQ's receipt comes back.
      tamper(dir, `UPDATE events SET hash = '${'e'.repeat(64)}' WHERE seq = 20`);
      expect(await rejection(backend.sync.syncNow())).toMatchObject({
        code: 'inconsistent_log',
        details: { firstBadSeq: 20 },
      });
    },
  );

  it.skipIf(!present)('answers fleet and DORA queries from the synced events', async () => {
    const hq = await hqOn(kind);
    const { backend } = laptop(24);
    await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'Ada' });
    await backend.sync.syncNow();
    const devices = await hq.service.devices();
    expect(devices.length).toBeGreaterThan(0);
    expect(devices[0]).toMatchObject({ device: expect.stringMatching(/^tcp:/) });
    const dora = await hq.service.dora();
    // seedLaptop: every 4th event from 1 is committed (i % 4 === 1), from 3 rolled back (i % 4 === 3).
    expect(dora.fleet).toMatchObject({ deployments: 12, failures: 6, changeFailureRate: 0.5 });
    expect(Object.keys(dora.sites).sort()).toEqual(['site-0', 'site-1', 'site-2']);
    expect((await hq.service.diagnostics()).length).toBe(6);
  });
});
