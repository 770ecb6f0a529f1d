// @vitest-environment jsdom
import './setup';
import { describe, expect, it } from 'vitest';
import {
  SUMMARY_MAX,
  describeChainFault,
  formatEventCount,
  formatLocalTime,
  shortHash,
  summarizePayload,
} from '../../../renderer/src/features/logs/log-format';

describe('log formatting', () => {
  it('counts events with thousands separators and the right plural', () => {
    expect(formatEventCount(100_000)).toBe('100,000 events');
    expect(formatEventCount(1)).toBe('1 event');
    expect(formatEventCount(0)).toBe('0 events');
  });

  it('shows times in local time and keeps unparseable text as stored', () => {
    const iso = '2025-03-04T14:05:09.123Z';
    const shown = formatLocalTime(iso);
    expect(shown).not.toBe(iso);
    expect(shown).toContain(String(new Date(iso).getFullYear()));
    expect(formatLocalTime('yesterday')).toBe('yesterday');
  });

  it('shortens hashes', () => {
    expect(shortHash('abcdef0123456789')).toBe('abcdef01…');
    expect(shortHash('abc')).toBe('abc');
  });

  it('summarizes payloads on one line, nesting collapsed, length bounded', () => {
    expect(
      summarizePayload({ target: 'app@1.2', attempt: 2, ok: true, files: ['a', 'b'], meta: { x: 1 } }),
    ).toBe('target="app@1.2" attempt=2 ok=true files=[2] meta={…}');
    expect(summarizePayload(null)).toBe('');
    expect(summarizePayload('plain text')).toBe('plain text');
    const long = summarizePayload({ note: 'x'.repeat(500) });
    expect(long).toHaveLength(SUMMARY_MAX);
    expect(long.endsWith('…')).toBe(true);
  });

  it('describes every chain fault', () => {
    for (const reason of ['seq_gap', 'prev_hash_mismatch', 'hash_mismatch', 'unreadable'] as const) {
      expect(describeChainFault(reason)).toMatch(/^an event/);
    }
  });
});
