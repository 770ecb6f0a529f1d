import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../core/eventlog/canonical-json';
import {
  chainEvent,
  GENESIS_HASH,
  hashEvent,
  verifyChain,
  type ChainedEvent,
  type StoredEventRow,
} from '../../../../core/eventlog/chain';

function buildChain(count: number): ChainedEvent[] {
  const events: ChainedEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    events.push(
      chainEvent(
        events.at(-1) ?? null,
        { kind: 'test.step', device: i % 2 ? `dev-${i}` : null, payload: { i } },
        new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      ),
    );
  }
  return events;
}

function toRows(events: readonly ChainedEvent[]): StoredEventRow[] {
  return events.map((e) => ({
    seq: e.seq,
    time: e.time,
    kind: e.kind,
    device: e.device,
    payloadJson: canonicalJson(e.payload),
    prevHash: e.prevHash,
    hash: e.hash,
  }));
}

describe('event chain', () => {
  it('starts at seq 1 after the genesis hash and links each event to the previous hash', () => {
    const [first, second] = buildChain(2);
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, prevHash: first!.hash });
    expect(first!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashes the previous hash, a newline and the canonical event (the format is a contract with HQ)', () => {
    const spelledOut = `${GENESIS_HASH}\n{"device":null,"kind":"app.started","payload":{"a":1,"b":2},"seq":1,"time":"2026-01-01T00:00:00.000Z"}`;
    const expected = createHash('sha256').update(spelledOut).digest('hex');
    expect(
      hashEvent(GENESIS_HASH, {
        seq: 1,
        time: '2026-01-01T00:00:00.000Z',
        kind: 'app.started',
        device: null,
        payload: { b: 2, a: 1 },
      }),
    ).toBe(expected);
  });

  it('verifies an intact chain and reports its size and head', () => {
    const events = buildChain(50);
    expect(verifyChain(toRows(events))).toEqual({ valid: true, size: 50, head: events[49]!.hash });
  });

  it('verifies an empty chain', () => {
    expect(verifyChain([])).toEqual({ valid: true, size: 0, head: GENESIS_HASH });
  });

  it('names the first altered event when a payload changes', () => {
    const rows = toRows(buildChain(10));
    rows[6] = { ...rows[6]!, payloadJson: '{"i":999}' };
    expect(verifyChain(rows)).toEqual({
      valid: false,
      size: 10,
      firstBadSeq: 7,
      reason: 'hash_mismatch',
      lastGoodHash: rows[5]!.hash,
    });
  });

  it('names the gap when an event is removed', () => {
    const rows = toRows(buildChain(10));
    rows.splice(3, 1);
    expect(verifyChain(rows)).toMatchObject({ valid: false, firstBadSeq: 4, reason: 'seq_gap', size: 9 });
  });

  it('detects a re-hashed row whose successor still points at the old hash', () => {
    const events = buildChain(5);
    const forged = chainEvent(
      events[1]!,
      { kind: 'test.step', device: null, payload: { forged: true } },
      new Date(0),
    );
    const rows = toRows([...events.slice(0, 2), forged, ...events.slice(3)]);
    expect(verifyChain(rows)).toMatchObject({ valid: false, firstBadSeq: 4, reason: 'prev_hash_mismatch' });
  });

  it('reports unreadable payload text as the fault', () => {
    const rows = toRows(buildChain(3));
    rows[0] = { ...rows[0]!, payloadJson: '{not json' };
    expect(verifyChain(rows)).toMatchObject({ valid: false, firstBadSeq: 1, reason: 'unreadable' });
  });

  it('reads rows from a one-shot iterator (a database cursor)', () => {
    const rows = toRows(buildChain(4));
    rows[1] = { ...rows[1]!, kind: 'tampered' };
    function* cursor(): Generator<StoredEventRow> {
      yield* rows;
    }
    expect(verifyChain(cursor())).toMatchObject({ valid: false, firstBadSeq: 2, size: 4 });
  });
});
