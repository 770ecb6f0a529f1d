/**
 * HQ on PostgreSQL (node-postgres). Per-technician serialisation is a row lock on the technician
 * (`SELECT … FOR UPDATE`), so many HQ processes can share one database; events go in with one
 * multi-row INSERT from arrays (`unnest`) per batch. The schema is created if missing.
 */
import pg from 'pg';
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
    head_seq    BIGINT NOT NULL DEFAULT 0,
    head_hash   TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS events (
    technician TEXT   NOT NULL REFERENCES technicians (key_id),
    seq        BIGINT NOT NULL,
    time       TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    device     TEXT,
    payload    TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL,
    PRIMARY KEY (technician, seq)
  );
  CREATE INDEX IF NOT EXISTS events_kind ON events (kind);
  CREATE TABLE IF NOT EXISTS checkpoints (
    technician  TEXT   NOT NULL,
    size        BIGINT NOT NULL,
    head        TEXT   NOT NULL,
    time        TEXT   NOT NULL,
    signature   TEXT   NOT NULL,
    received_at TEXT   NOT NULL,
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
  head_seq: string;
  head_hash: string;
}

interface EventDbRow {
  technician: string;
  seq: string;
  time: string;
  kind: string;
  device: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** Connects to PostgreSQL at `url` and makes sure the schema exists. */
export async function openPostgresHqStore(url: string): Promise<HqStore> {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // An idle client's error (the server restarting) must not crash HQ; the next query reconnects.
  pool.on('error', () => undefined);
  // Two HQ processes starting at once may race on CREATE TABLE IF NOT EXISTS; an advisory lock orders them.
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(7400001)');
    await client.query(SCHEMA);
    await client.query('SELECT pg_advisory_unlock(7400001)');
  } finally {
    client.release();
  }

  const technician = async (keyId: string): Promise<TechnicianRecord | null> => {
    const { rows } = await pool.query<TechnicianDbRow>('SELECT * FROM technicians WHERE key_id = $1', [
      keyId,
    ]);
    return rows[0] ? toTechnician(rows[0]) : null;
  };

  return {
    kind: 'postgres',
    loadIdentity: async () => {
      const { rows } = await pool.query('SELECT * FROM hq_identity WHERE id = 1');
      return rows[0] ? toIdentity(rows[0] as IdentityDbRow) : null;
    },
    saveIdentity: async (identity: HqIdentityRecord) => {
      await pool.query(
        'INSERT INTO hq_identity (id, name, signing_key, tls_cert, tls_key) VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
        [identity.name, identity.signingKey, identity.tlsCertPem, identity.tlsKeyPem],
      );
      const { rows } = await pool.query('SELECT * FROM hq_identity WHERE id = 1');
      return toIdentity(rows[0] as IdentityDbRow);
    },
    technician,
    technicians: async () =>
      (await pool.query<TechnicianDbRow>('SELECT * FROM technicians ORDER BY enrolled_at')).rows.map(
        toTechnician,
      ),
    enrol: async (record) => {
      await pool.query(
        'INSERT INTO technicians (key_id, public_key, name, laptop_id, enrolled_at, head_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key_id) DO NOTHING',
        [record.keyId, record.publicKey, record.name, record.laptopId, record.enrolledAt, GENESIS_HASH],
      );
      return (await technician(record.keyId)) as TechnicianRecord;
    },
    revoke: async (keyId, at) =>
      ((
        await pool.query('UPDATE technicians SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2', [
          at,
          keyId,
        ])
      ).rowCount ?? 0) > 0,
    withTechnician: async (keyId, work) => {
      const tx = await pool.connect();
      try {
        await tx.query('BEGIN');
        const { rows } = await tx.query<TechnicianDbRow>(
          'SELECT * FROM technicians WHERE key_id = $1 FOR UPDATE',
          [keyId],
        );
        if (!rows[0]) throw new Error(`technician ${keyId} is not enrolled`);
        const handle: TechnicianTx = {
          technician: toTechnician(rows[0]),
          hashesBetween: async (from, to) =>
            (
              await tx.query<{ hash: string }>(
                'SELECT hash FROM events WHERE technician = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq',
                [keyId, from, to],
              )
            ).rows.map((row) => row.hash),
          append: async (events: readonly WireEvent[]) => {
            const last = events[events.length - 1];
            if (!last) return;
            await tx.query(
              `INSERT INTO events (technician, seq, time, kind, device, payload, prev_hash, hash)
               SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
              [
                keyId,
                events.map((e) => e.seq),
                events.map((e) => e.time),
                events.map((e) => e.kind),
                events.map((e) => e.device),
                events.map((e) => e.payloadJson),
                events.map((e) => e.prevHash),
                events.map((e) => e.hash),
              ],
            );
            await tx.query('UPDATE technicians SET head_seq = $1, head_hash = $2 WHERE key_id = $3', [
              last.seq,
              last.hash,
              keyId,
            ]);
          },
          saveCheckpoint: async (signed: SignedCheckpoint) => {
            const cp = signed.checkpoint;
            await tx.query(
              'INSERT INTO checkpoints (technician, size, head, time, signature, received_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
              [keyId, cp.size, cp.head, cp.time, signed.signature, new Date().toISOString()],
            );
          },
        };
        const result = await work(handle);
        await tx.query('COMMIT');
        return result;
      } catch (error) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        tx.release();
      }
    },
    eventsOfKinds: async (kinds) =>
      (
        await pool.query<EventDbRow>(
          'SELECT * FROM events WHERE kind = ANY($1) ORDER BY time, technician, seq',
          [[...kinds]],
        )
      ).rows.map(toEvent),
    events: async (technicianId, fromSeq, limit) =>
      (
        await pool.query<EventDbRow>(
          'SELECT * FROM events WHERE technician = $1 AND seq >= $2 ORDER BY seq LIMIT $3',
          [technicianId, fromSeq, limit],
        )
      ).rows.map(toEvent),
    countEvents: async () =>
      Number((await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM events')).rows[0]?.n ?? 0),
    close: () => pool.end(),
  };
}

interface IdentityDbRow {
  name: string;
  signing_key: string;
  tls_cert: string;
  tls_key: string;
}

function toIdentity(row: IdentityDbRow): HqIdentityRecord {
  return { name: row.name, signingKey: row.signing_key, tlsCertPem: row.tls_cert, tlsKeyPem: row.tls_key };
}

function toTechnician(row: TechnicianDbRow): TechnicianRecord {
  return {
    keyId: row.key_id,
    publicKey: row.public_key,
    name: row.name,
    laptopId: row.laptop_id,
    enrolledAt: row.enrolled_at,
    revokedAt: row.revoked_at,
    headSeq: Number(row.head_seq),
    headHash: row.head_hash,
  };
}

function toEvent(row: EventDbRow): HqEventRow {
  return {
    technician: row.technician,
    seq: Number(row.seq),
    time: row.time,
    kind: row.kind,
    device: row.device,
    payloadJson: row.payload,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
