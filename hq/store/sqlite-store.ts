/**
 * HQ on SQLite: one file, WAL, synchronous=FULL. better-sqlite3 is synchronous, so a promise-chain
 * mutex serialises transactions within the process; BEGIN IMMEDIATE (with a busy timeout) serialises
 * them against other processes on the same file (`deckhand hq import` beside a running server).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH } from '../../core/eventlog/chain';
import type { SignedCheckpoint } from '../../core/sync/checkpoint';
import type { WireEvent } from '../../core/sync/wire';
import type { HqEventRow, HqIdentityRecord, HqStore, TechnicianRecord, TechnicianTx } from './hq-store';

const SCHEMA = /* sql */ `
  CREATE TABLE IF NOT EXISTS hq_identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    name        TEXT NOT NULL,
    signing_key TEXT NOT NULL,
    tls_cert    TEXT NOT NULL,
    tls_key     TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS technicians (
    key_id      TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    name        TEXT NOT NULL,
    laptop_id   TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT,
    head_seq    INTEGER NOT NULL DEFAULT 0,
    head_hash   TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS events (
    technician TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    time       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    device     TEXT,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    PRIMARY KEY (technician, seq)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS events_kind ON events (kind);
  CREATE TABLE IF NOT EXISTS checkpoints (
    technician  TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    head        TEXT    NOT NULL,
    time        TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    received_at TEXT    NOT NULL,
    PRIMARY KEY (technician, size)
  );
`;

interface TechnicianDbRow {
  key_id: string;
  public_key: string;
  name: string;
  laptop_id: string;
  enrolled_at: string;
  revoked_at: string | null;
  head_seq: number;
  head_hash: string;
}

interface EventDbRow {
  technician: string;
  seq: number;
  time: string;
  kind: string;
  device: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** Opens (creating if needed) an HQ database file. */
export function openSqliteHqStore(file: string): HqStore {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);

  const selectTechnician = db.prepare<[string], TechnicianDbRow>(
    'SELECT * FROM technicians WHERE key_id = ?',
  );
  const insertEvent = db.prepare(
    'INSERT INTO events (technician, seq, time, kind, device, payload, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const setHead = db.prepare('UPDATE technicians SET head_seq = ?, head_hash = ? WHERE key_id = ?');
  const hashes = db
    .prepare<[string, number, number], string>(
      'SELECT hash FROM events WHERE technician = ? AND seq BETWEEN ? AND ? ORDER BY seq',
    )
    .pluck();
  const insertCheckpoint = db.prepare(
    'INSERT OR IGNORE INTO checkpoints (technician, size, head, time, signature, received_at) VALUES (?, ?, ?, ?, ?, ?)',
  );

  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    kind: 'sqlite',
    loadIdentity: async () => {
      const row = db.prepare('SELECT * FROM hq_identity WHERE id = 1').get() as
        { name: string; signing_key: string; tls_cert: string; tls_key: string } | undefined;
      return row
        ? { name: row.name, signingKey: row.signing_key, tlsCertPem: row.tls_cert, tlsKeyPem: row.tls_key }
        : null;
    },
    saveIdentity: async (identity: HqIdentityRecord) => {
      db.prepare(
        'INSERT OR IGNORE INTO hq_identity (id, name, signing_key, tls_cert, tls_key) VALUES (1, ?, ?, ?, ?)',
      ).run(identity.name, identity.signingKey, identity.tlsCertPem, identity.tlsKeyPem);
      const row = db.prepare('SELECT * FROM hq_identity WHERE id = 1').get() as {
        name: string;
        signing_key: string;
        tls_cert: string;
        tls_key: string;
      };
      return {
        name: row.name,
        signingKey: row.signing_key,
        tlsCertPem: row.tls_cert,
        tlsKeyPem: row.tls_key,
      };
    },
    technician: async (keyId) => {
      const row = selectTechnician.get(keyId);
      return row ? toTechnician(row) : null;
    },
    technicians: async () =>
      (db.prepare('SELECT * FROM technicians ORDER BY enrolled_at').all() as TechnicianDbRow[]).map(
        toTechnician,
      ),
    enrol: async (record) => {
      db.prepare(
        'INSERT OR IGNORE INTO technicians (key_id, public_key, name, laptop_id, enrolled_at, head_hash) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(record.keyId, record.publicKey, record.name, record.laptopId, record.enrolledAt, GENESIS_HASH);
      return toTechnician(selectTechnician.get(record.keyId) as TechnicianDbRow);
    },
    revoke: async (keyId, at) =>
      db
        .prepare('UPDATE technicians SET revoked_at = COALESCE(revoked_at, ?) WHERE key_id = ?')
        .run(at, keyId).changes > 0,
    withTechnician: (keyId, work) =>
      exclusive(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const row = selectTechnician.get(keyId);
          if (!row) throw new Error(`technician ${keyId} is not enrolled`);
          const tx: TechnicianTx = {
            technician: toTechnician(row),
            hashesBetween: async (from, to) => hashes.all(keyId, from, to),
            append: async (events: readonly WireEvent[]) => {
              for (const e of events)
                insertEvent.run(keyId, e.seq, e.time, e.kind, e.device, e.payloadJson, e.prevHash, e.hash);
              const last = events[events.length - 1];
              if (last) setHead.run(last.seq, last.hash, keyId);
            },
            saveCheckpoint: async (signed: SignedCheckpoint) => {
              const cp = signed.checkpoint;
              insertCheckpoint.run(
                keyId,
                cp.size,
                cp.head,
                cp.time,
                signed.signature,
                new Date().toISOString(),
              );
            },
          };
          const result = await work(tx);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      }),
    eventsOfKinds: async (kinds) => {
      if (kinds.length === 0) return [];
      const rows = db
        .prepare(
          `SELECT * FROM events WHERE kind IN (${kinds.map(() => '?').join(',')}) ORDER BY time, technician, seq`,
        )
        .all(...kinds) as EventDbRow[];
      return rows.map(toEvent);
    },
    events: async (technician, fromSeq, limit) =>
      (
        db
          .prepare('SELECT * FROM events WHERE technician = ? AND seq >= ? ORDER BY seq LIMIT ?')
          .all(technician, fromSeq, limit) as EventDbRow[]
      ).map(toEvent),
    countEvents: async () => (db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number) ?? 0,
    close: async () => {
      await exclusive(async () => db.close());
    },
  };
}

function toTechnician(row: TechnicianDbRow): TechnicianRecord {
  return {
    keyId: row.key_id,
    publicKey: row.public_key,
    name: row.name,
    laptopId: row.laptop_id,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
    headSeq: row.head_seq,
    headHash: row.head_hash,
  };
}

function toEvent(row: EventDbRow): HqEventRow {
  return {
    technician: row.technician,
    seq: row.seq,
    time: row.time,
    kind: row.kind,
    device: row.device,
    payloadJson: row.payload,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
