/**
 * The deploy log's hash chain. Each event's hash is SHA-256 over the previous event's hash and the
 * canonical JSON of the event's own fields (seq included, so rows cannot be reordered). Changing,
 * removing or inserting any event breaks every hash after it, and `verifyChain` names the first one.
 */
import { createHash } from 'node:crypto';
import { canonicalJson, type JsonValue } from './canonical-json';

/** The previous-hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an event says, before it is placed in the chain. */
export interface EventDraft {
  /** Dotted event kind, e.g. `app.started`, `bundle.imported`, `deploy.committed`. */
  readonly kind: string;
  /** Device URI or serial the event concerns, or null for laptop-wide events. */
  readonly device: string | null;
  /** Event-specific data; must be representable as canonical JSON. */
  readonly payload: { readonly [key: string]: JsonValue };
}

/** An event as stored: its place in the chain and its hashes. */
export interface ChainedEvent extends EventDraft {
  readonly seq: number;
  /** ISO 8601 UTC time with milliseconds, from the laptop clock. */
  readonly time: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The outcome of walking the chain. */
export type ChainStatus =
  | { readonly valid: true; readonly size: number; readonly head: string }
  | {
      readonly valid: false;
      readonly size: number;
      /** The first seq whose row does not verify; everything before it is intact. */
      readonly firstBadSeq: number;
      readonly reason: ChainFault;
      /** Hash of the last event that verified (GENESIS_HASH when none did). */
      readonly lastGoodHash: string;
    };

/** Why a row fails verification. */
export type ChainFault = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'unreadable';

/** The text that an event's hash covers. */
export function eventHashInput(prevHash: string, event: Omit<ChainedEvent, 'prevHash' | 'hash'>): string {
  return `${prevHash}\n${canonicalJson({
    seq: event.seq,
    time: event.time,
    kind: event.kind,
    device: event.device,
    payload: event.payload,
  })}`;
}

/** Computes an event's chain hash (lower-case hex SHA-256). */
export function hashEvent(prevHash: string, event: Omit<ChainedEvent, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(eventHashInput(prevHash, event), 'utf8').digest('hex');
}

/** Places a draft after `previous` (or first when null), producing the stored event. */
export function chainEvent(
  previous: Pick<ChainedEvent, 'seq' | 'hash'> | null,
  draft: EventDraft,
  time: Date,
): ChainedEvent {
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const unhashed = {
    seq: (previous?.seq ?? 0) + 1,
    time: time.toISOString(),
    kind: draft.kind,
    device: draft.device,
    payload: draft.payload,
  };
  return { ...unhashed, prevHash, hash: hashEvent(prevHash, unhashed) };
}

/** A stored row as read back; payload may be unparsable if the row was tampered with. */
export interface StoredEventRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly device: string | null;
  /** Canonical JSON text of the payload as stored. */
  readonly payloadJson: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * Walks stored rows in seq order and reports the first one that breaks the chain. Streams: rows may
 * come from a database cursor, so memory stays flat for any log size.
 */
export function verifyChain(rows: Iterable<StoredEventRow>): ChainStatus {
  const iterator = rows[Symbol.iterator]();
  let expectedSeq = 1;
  let lastGoodHash = GENESIS_HASH;
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    const row = next.value;
    const fault = checkRow(row, expectedSeq, lastGoodHash);
    if (fault !== null) {
      // Keep counting so the caller can report the log's size alongside the fault.
      let size = expectedSeq;
      while (!iterator.next().done) size += 1;
      return { valid: false, size, firstBadSeq: fault.seq, reason: fault.reason, lastGoodHash };
    }
    lastGoodHash = row.hash;
    expectedSeq += 1;
  }
  return { valid: true, size: expectedSeq - 1, head: lastGoodHash };
}

function checkRow(
  row: StoredEventRow,
  expectedSeq: number,
  prevHash: string,
): { seq: number; reason: ChainFault } | null {
  if (row.seq !== expectedSeq) return { seq: expectedSeq, reason: 'seq_gap' };
  if (row.prevHash !== prevHash) return { seq: row.seq, reason: 'prev_hash_mismatch' };
  let payload: unknown;
  try {
    payload = JSON.parse(row.payloadJson);
  } catch {
    return { seq: row.seq, reason: 'unreadable' };
  }
  let recomputed: string;
  try {
    recomputed = hashEvent(prevHash, {
      seq: row.seq,
      time: row.time,
      kind: row.kind,
      device: row.device,
      payload: payload as EventDraft['payload'],
    });
  } catch {
    return { seq: row.seq, reason: 'unreadable' };
  }
  return recomputed === row.hash ? null : { seq: row.seq, reason: 'hash_mismatch' };
}
