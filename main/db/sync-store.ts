/**
 * The laptop's sync state in SQLite: the HQ enrolment, signed checkpoints, HQ's receipts, and the
 * outbox, which is simply the events after the last receipt (the log itself is the outbox, so there
 * is nothing to keep in step with it).
 */
import type { StoredEventRow } from '../../core/eventlog/chain';
import type { SignedCheckpoint, SignedReceipt } from '../../core/sync/checkpoint';
import { withDbErrors, type Db } from './database';

/** The HQ this laptop is enrolled with, and what it pinned. */
export interface Enrolment {
  readonly hqUrl: string;
  readonly hqName: string;
  readonly hqKeyId: string;
  readonly hqPublicKey: string;
  readonly certPem: string;
  readonly certFingerprint: string;
  readonly technicianKey: string;
  readonly technicianName: string;
  readonly enrolledAt: string;
}

/** A receipt as kept, with when it arrived. */
export interface StoredReceipt extends SignedReceipt {
  readonly receivedAt: string;
}

interface EventRecord {
  seq: number;
  time: string;
  kind: string;
  device: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** Reads and writes sync state. */
export class SyncStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The current enrolment, or null. */
  enrolment(): Enrolment | null {
    return withDbErrors(this.#db.name, () => {
      const row = this.#db.prepare('SELECT * FROM hq_enrolment WHERE id = 1').get() as
        Record<string, string> | undefined;
      if (!row) return null;
      return {
        hqUrl: row['hq_url'] as string,
        hqName: row['hq_name'] as string,
        hqKeyId: row['hq_key_id'] as string,
        hqPublicKey: row['hq_public_key'] as string,
        certPem: row['cert_pem'] as string,
        certFingerprint: row['cert_fingerprint'] as string,
        technicianKey: row['technician_key'] as string,
        technicianName: row['technician_name'] as string,
        enrolledAt: row['enrolled_at'] as string,
      };
    });
  }

  /** Records (or replaces) the enrolment. */
  saveEnrolment(e: Enrolment): void {
    withDbErrors(this.#db.name, () =>
      this.#db
        .prepare(
          `INSERT OR REPLACE INTO hq_enrolment (id, hq_url, hq_name, hq_key_id, hq_public_key, cert_pem, cert_fingerprint, technician_key, technician_name, enrolled_at)
           VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          e.hqUrl,
          e.hqName,
          e.hqKeyId,
          e.hqPublicKey,
          e.certPem,
          e.certFingerprint,
          e.technicianKey,
          e.technicianName,
          e.enrolledAt,
        ),
    );
  }

  /** Keeps a checkpoint this laptop signed. */
  saveCheckpoint(signed: SignedCheckpoint, reason: 'sync' | 'export' | 'request'): void {
    const cp = signed.checkpoint;
    withDbErrors(this.#db.name, () =>
      this.#db
        .prepare('INSERT INTO checkpoints (size, head, time, signature, reason) VALUES (?, ?, ?, ?, ?)')
        .run(cp.size, cp.head, cp.time, signed.signature, reason),
    );
  }

  /** Keeps a receipt HQ signed (only when it differs from the last one kept). */
  saveReceipt(signed: SignedReceipt, receivedAt: string): void {
    const last = this.lastReceipt();
    if (last && last.receipt.size === signed.receipt.size && last.receipt.head === signed.receipt.head)
      return;
    const r = signed.receipt;
    withDbErrors(this.#db.name, () =>
      this.#db
        .prepare(
          'INSERT INTO receipts (hq_key_id, size, head, time, signature, received_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(r.hq, r.size, r.head, r.time, signed.signature, receivedAt),
    );
  }

  /** The newest receipt kept, or null. */
  lastReceipt(): StoredReceipt | null {
    return withDbErrors(this.#db.name, () => {
      const row = this.#db.prepare('SELECT * FROM receipts ORDER BY id DESC LIMIT 1').get() as
        | {
            hq_key_id: string;
            size: number;
            head: string;
            time: string;
            signature: string;
            received_at: string;
          }
        | undefined;
      const enrolment = this.enrolment();
      if (!row) return null;
      return {
        receipt: {
          v: 1,
          hq: row.hq_key_id,
          technician: enrolment?.technicianKey ?? '',
          size: row.size,
          head: row.head,
          time: row.time,
        },
        signature: row.signature,
        receivedAt: row.received_at,
      };
    });
  }

  /** Number of checkpoints signed. */
  checkpointCount(): number {
    return withDbErrors(
      this.#db.name,
      () => this.#db.prepare('SELECT COUNT(*) FROM checkpoints').pluck().get() as number,
    );
  }

  /** Up to `limit` events with seq in (`after`, `upTo`], in seq order: a batch of the outbox. */
  eventsAfter(after: number, upTo: number, limit: number): StoredEventRow[] {
    return withDbErrors(this.#db.name, () =>
      (
        this.#db
          .prepare('SELECT * FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
          .all(after, upTo, limit) as EventRecord[]
      ).map((r) => ({
        seq: r.seq,
        time: r.time,
        kind: r.kind,
        device: r.device,
        payloadJson: r.payload,
        prevHash: r.prev_hash,
        hash: r.hash,
      })),
    );
  }

  /** Every event in seq order, streamed (for export). */
  *iterateEvents(): Generator<StoredEventRow> {
    const rows = this.#db
      .prepare('SELECT * FROM events ORDER BY seq')
      .iterate() as IterableIterator<EventRecord>;
    for (const r of rows)
      yield {
        seq: r.seq,
        time: r.time,
        kind: r.kind,
        device: r.device,
        payloadJson: r.payload,
        prevHash: r.prev_hash,
        hash: r.hash,
      };
  }

  /** The stored hash of event `seq`, or null when the log is shorter. */
  hashAt(seq: number): string | null {
    return withDbErrors(
      this.#db.name,
      () =>
        (this.#db.prepare('SELECT hash FROM events WHERE seq = ?').pluck().get(seq) as string | undefined) ??
        null,
    );
  }

  /** Approximate bytes on the wire of the events in (`after`, `upTo`], for the progress bar. */
  bytesBetween(after: number, upTo: number): number {
    return withDbErrors(
      this.#db.name,
      () =>
        (this.#db
          .prepare(
            'SELECT COALESCE(SUM(LENGTH(payload) + LENGTH(kind) + LENGTH(time) + IFNULL(LENGTH(device), 4) + 250), 0) FROM events WHERE seq > ? AND seq <= ?',
          )
          .pluck()
          .get(after, upTo) as number) ?? 0,
    );
  }
}

/** Approximate bytes of one event on the wire (matches bytesBetween). */
export function wireSizeOf(row: StoredEventRow): number {
  return row.payloadJson.length + row.kind.length + row.time.length + (row.device?.length ?? 4) + 250;
}
