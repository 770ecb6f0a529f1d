/** How log values read on screen: local times, short hashes, one-line payload summaries. */
import type { ChainFault } from '../../../../core/eventlog/event-types';
import { assertNever } from '../../ui/assert-never';

const countFormat = new Intl.NumberFormat('en-US');

export { formatLocalTime } from '../../ui/format-time';

/** "1 event", "100,000 events". */
export function formatEventCount(count: number): string {
  return `${countFormat.format(count)} ${count === 1 ? 'event' : 'events'}`;
}

/** The first characters of a hash, enough to compare by eye. */
export function shortHash(hash: string, length = 8): string {
  return hash.length > length ? `${hash.slice(0, length)}…` : hash;
}

/** Longest payload summary; the full payload is in the row's title. */
export const SUMMARY_MAX = 120;

/** A one-line `key=value` summary of an event payload. */
export function summarizePayload(payload: unknown): string {
  const text = summarizeValue(payload, true);
  return text.length > SUMMARY_MAX ? `${text.slice(0, SUMMARY_MAX - 1)}…` : text;
}

function summarizeValue(value: unknown, top: boolean): string {
  if (value === null || value === undefined) return top ? '' : 'null';
  if (typeof value === 'string') return top ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value))
    return top ? value.map((item) => summarizeValue(item, false)).join(', ') : `[${value.length}]`;
  if (typeof value === 'object') {
    if (!top) return '{…}';
    return Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${key}=${summarizeValue(item, false)}`)
      .join(' ');
  }
  return '';
}

/** Why a chain check failed, in words a technician can pass on to HQ. */
export function describeChainFault(reason: ChainFault): string {
  switch (reason) {
    case 'seq_gap':
      return 'an event is missing';
    case 'prev_hash_mismatch':
      return 'an event does not link to the one before it';
    case 'hash_mismatch':
      return 'an event was changed after it was written';
    case 'unreadable':
      return 'an event could not be read';
    default:
      return assertNever(reason);
  }
}
