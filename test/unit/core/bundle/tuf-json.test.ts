import { describe, expect, it } from 'vitest';
import { canonicalSafe, targetCustomSchema } from '../../../../core/bundle/target-info';
import { formatBytes, formatDay } from '../../../../core/bundle/human-format';
import { encodeCanonical, parseCanonical } from '../../../../core/bundle/tuf-json';

describe('TUF canonical JSON', () => {
  it('accepts exactly the canonical encoding', () => {
    const bytes = encodeCanonical({ b: [1, 'x"y'], a: { z: null, c: true } });
    expect(Buffer.from(bytes).toString()).toBe('{"a":{"c":true,"z":null},"b":[1,"x\\"y"]}');
    expect(parseCanonical(bytes, 'x.json')).toEqual({ a: { c: true, z: null }, b: [1, 'x"y'] });
  });

  it.each([
    ['whitespace', '{ "a":1}'],
    ['unsorted keys', '{"b":1,"a":2}'],
    ['a duplicate key', '{"a":1,"a":1}'],
    ['a float', '{"a":1.5}'],
    ['an escaped slash', '{"a":"\\/"}'],
  ])('refuses %s as non_canonical', (_what, text) => {
    expect(() => parseCanonical(Buffer.from(text), 'x.json')).toThrow(
      expect.objectContaining({ code: 'non_canonical' }),
    );
  });

  it('refuses unreadable JSON and non-objects as invalid_metadata', () => {
    expect(() => parseCanonical(Buffer.from('{'), 'x.json')).toThrow(
      expect.objectContaining({ code: 'invalid_metadata' }),
    );
    expect(() => parseCanonical(Buffer.from('[]'), 'x.json')).toThrow(
      expect.objectContaining({ code: 'invalid_metadata' }),
    );
    expect(() => parseCanonical(Buffer.from([0xff, 0xfe]), 'x.json')).toThrow(
      expect.objectContaining({ code: 'invalid_metadata' }),
    );
  });
});

describe('target custom metadata', () => {
  it('carries fractions as decimal strings and reads them back as numbers', () => {
    const custom = {
      kind: 'model',
      name: 'yolo',
      version: '8.2',
      hardware: ['orin'],
      slo: { p95Ms: 40, maxErrorRate: 0.01 },
    };
    const signed = canonicalSafe(custom);
    expect(Buffer.from(encodeCanonical(signed)).toString()).toContain('"maxErrorRate":"0.01"');
    expect(targetCustomSchema.parse(signed).slo).toEqual({ p95Ms: 40, maxErrorRate: 0.01 });
    expect(targetCustomSchema.safeParse({ ...custom, kind: 'firmware' }).success).toBe(false);
    expect(targetCustomSchema.safeParse({ ...custom, extra: 1 }).success).toBe(false);
  });

  it('formats days and sizes the same on every laptop', () => {
    expect(formatDay('2026-11-02T12:00:00Z')).toBe('2 Nov 2026');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64.0 MiB');
  });
});
