import { describe, expect, it } from 'vitest';
import { chainEvent, GENESIS_HASH, type ChainedEvent } from '../../../../core/eventlog/chain';
import { canonicalJson } from '../../../../core/eventlog/canonical-json';
import {
  signCheckpoint,
  signReceipt,
  verifyCheckpoint,
  verifyReceipt,
} from '../../../../core/sync/checkpoint';
import { generateSigningKey, keyIdOf, signValue, verifyValue } from '../../../../core/sync/signing';
import { GENESIS_POINT, verifySegment } from '../../../../core/sync/verify-segment';
import type { WireEvent } from '../../../../core/sync/wire';

function log(count: number): WireEvent[] {
  const out: WireEvent[] = [];
  let previous: ChainedEvent | null = null;
  for (let i = 0; i < count; i += 1) {
    previous = chainEvent(previous, { kind: 'deploy.step', device: null, payload: { i } }, new Date(0));
    out.push({ ...previous, payloadJson: canonicalJson(previous.payload) });
  }
  return out;
}

describe('signatures', () => {
  const technician = generateSigningKey();
  const hq = generateSigningKey();

  it('verifies a checkpoint by its key only, and not after any change', () => {
    const signed = signCheckpoint(technician.privateKey, {
      v: 1,
      technician: technician.keyId,
      size: 3,
      head: 'a'.repeat(64),
      time: 't',
    });
    expect(verifyCheckpoint(technician.publicKey, signed)).toBe(true);
    expect(verifyCheckpoint(hq.publicKey, signed)).toBe(false);
    expect(
      verifyCheckpoint(technician.publicKey, { ...signed, checkpoint: { ...signed.checkpoint, size: 4 } }),
    ).toBe(false);
  });

  it('separates domains: a checkpoint signature is not a receipt signature', () => {
    const body = {
      v: 1 as const,
      hq: hq.keyId,
      technician: technician.keyId,
      size: 1,
      head: 'b'.repeat(64),
      time: 't',
    };
    const receipt = signReceipt(hq.privateKey, body);
    expect(verifyReceipt(hq.publicKey, receipt)).toBe(true);
    expect(verifyValue(hq.publicKey, 'deckhand.checkpoint.v1', body, receipt.signature)).toBe(false);
    expect(
      verifyValue(
        'not a key',
        'deckhand.receipt.v1',
        body,
        signValue(hq.privateKey, 'deckhand.receipt.v1', body),
      ),
    ).toBe(false);
  });

  it('derives a stable 32-hex key id', () => {
    expect(keyIdOf(technician.publicKey)).toBe(technician.keyId);
    expect(technician.keyId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('verifySegment', () => {
  const events = log(10);

  it('accepts a segment continuing its start point', () => {
    expect(verifySegment(GENESIS_POINT, events)).toEqual({
      valid: true,
      last: { seq: 10, hash: events[9]!.hash },
    });
    expect(verifySegment({ seq: 4, hash: events[3]!.hash }, events.slice(4)).valid).toBe(true);
  });

  it('calls a first row that does not continue the start another history', () => {
    expect(verifySegment({ seq: 4, hash: GENESIS_HASH }, events.slice(4))).toMatchObject({
      valid: false,
      code: 'inconsistent_log',
      firstBadSeq: 5,
    });
  });

  it('names the first bad seq of an edited, missing or reordered row', () => {
    const edited = events.map((e) => (e.seq === 6 ? { ...e, payloadJson: '{"i":99}' } : e));
    expect(verifySegment(GENESIS_POINT, edited)).toMatchObject({
      code: 'chain_broken',
      firstBadSeq: 6,
      reason: 'hash_mismatch',
    });
    expect(
      verifySegment(
        GENESIS_POINT,
        events.filter((e) => e.seq !== 6),
      ),
    ).toMatchObject({ firstBadSeq: 6, reason: 'seq_gap' });
    const swapped = [...events];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    expect(verifySegment(GENESIS_POINT, swapped)).toMatchObject({ code: 'chain_broken', firstBadSeq: 6 });
  });
});
