/**
 * The deploy log's hash chain. Each event's hash is SHA-256 over the previous event's hash and the
 * canonical JSON of the event's own fields (seq included, so rows cannot be reordered). Changing,
 * removing or inserting any event breaks every hash after it, and `verifyChain` names the first one.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { ChainedEvent, ChainFault, ChainStatus, EventDraft, StoredEventRow } from './event-types';

export type { ChainedEvent, ChainFault, ChainStatus, EventDraft, StoredEventRow } from './event-types';

/** The previous-hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

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

/** Checks one row against the seq and previous hash it must have; null when it verifies. */
export function checkRow(
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
