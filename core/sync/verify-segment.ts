/**
 * Verifies a run of events that continues a log from a known point (HQ's head, or genesis), the
 * building block of batch upload and file import. A segment is refused for one of two reasons, each
 * naming the first bad seq: its own chain is broken (`chain_broken`: an edited, deleted, reordered or
 * truncated row) or it does not continue what HQ already holds (`inconsistent_log`: another history).
 */
import { checkRow, GENESIS_HASH, type ChainFault, type StoredEventRow } from '../eventlog/chain';

/** Where a segment must start from: the event before it. */
export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
}

/** The point before the first event. */
export const GENESIS_POINT: ChainPoint = { seq: 0, hash: GENESIS_HASH };

/** Why a segment was refused. */
export type SegmentFault =
  | { readonly code: 'chain_broken'; readonly firstBadSeq: number; readonly reason: ChainFault }
  | { readonly code: 'inconsistent_log'; readonly firstBadSeq: number; readonly reason: 'diverges' };

/** The outcome of verifying a segment. */
export type SegmentStatus =
  { readonly valid: true; readonly last: ChainPoint } | ({ readonly valid: false } & SegmentFault);

/**
 * Checks that `rows` continue the chain after `start`: seqs contiguous, each prev hash the hash
 * before, each hash recomputed from content. A first row whose prev hash is not `start.hash` is
 * another history (inconsistent), not a broken one.
 */
export function verifySegment(start: ChainPoint, rows: readonly StoredEventRow[]): SegmentStatus {
  let previous = start;
  for (const row of rows) {
    const expectedSeq = previous.seq + 1;
    if (row.seq === expectedSeq && row.prevHash !== previous.hash && previous === start) {
      return { valid: false, code: 'inconsistent_log', firstBadSeq: row.seq, reason: 'diverges' };
    }
    const fault = checkRow(row, expectedSeq, previous.hash);
    if (fault !== null)
      return { valid: false, code: 'chain_broken', firstBadSeq: fault.seq, reason: fault.reason };
    previous = { seq: row.seq, hash: row.hash };
  }
  return { valid: true, last: previous };
}
