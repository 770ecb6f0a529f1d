import { describe, expect, it } from 'vitest';
import { DeckhandError } from '../../../../core/result';
import { decodeSmpHeader, encodeSmpHeader, SMP_OP } from '../../../../core/smp/smp-header';
import { decodeSmpPacket, encodeSmpPacket } from '../../../../core/smp/smp-message';
import { buildMcubootImage, parseMcubootImage } from '../../../../core/smp/mcuboot-image';

describe('SMP header and packets', () => {
  it('lays out the 8-byte header as the specification says', () => {
    const header = {
      op: SMP_OP.write,
      version: 1,
      flags: 0,
      length: 0x1234,
      group: 1,
      sequence: 7,
      command: 1,
    } as const;
    const bytes = encodeSmpHeader(header);
    expect([...bytes]).toEqual([0x0a, 0x00, 0x12, 0x34, 0x00, 0x01, 0x07, 0x01]);
    expect(decodeSmpHeader(bytes)).toEqual(header);
  });

  it('round-trips a CBOR body with byte strings', () => {
    const packet = encodeSmpPacket(
      { op: SMP_OP.read, version: 0, flags: 0, group: 0, sequence: 255, command: 0 },
      { d: 'hi', data: new Uint8Array([1, 2, 3]), off: 70000 },
    );
    const decoded = decodeSmpPacket(packet);
    expect(decoded.header.length).toBe(packet.length - 8);
    expect(decoded.body['d']).toBe('hi');
    expect([...(decoded.body['data'] as Uint8Array)]).toEqual([1, 2, 3]);
    expect(decoded.body['off']).toBe(70000);
  });

  it('refuses a packet whose length field disagrees with its size', () => {
    const packet = encodeSmpPacket(
      { op: 0, version: 0, flags: 0, group: 0, sequence: 0, command: 0 },
      { a: 1 },
    );
    expect(() => decodeSmpPacket(packet.subarray(0, -1))).toThrow(DeckhandError);
  });
});

describe('MCUboot image', () => {
  it('reads the version and the SHA-256 TLV that MCUmgr reports', () => {
    const image = buildMcubootImage(Buffer.alloc(1000, 7), { major: 1, minor: 2, revision: 3, build: 0 });
    const info = parseMcubootImage(image);
    expect(info.versionText).toBe('1.2.3');
    expect(info.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.hashValid).toBe(true);
    expect(
      parseMcubootImage(buildMcubootImage(Buffer.alloc(4), { major: 0, minor: 1, revision: 0, build: 9 }))
        .versionText,
    ).toBe('0.1.0.9');
  });

  it('notices a changed body and refuses a file without the magic', () => {
    const image = buildMcubootImage(Buffer.alloc(1000, 7), { major: 1, minor: 0, revision: 0, build: 0 });
    image[100] = image[100]! ^ 1;
    expect(parseMcubootImage(image).hashValid).toBe(false);
    image.writeUInt32LE(0, 0);
    expect(() => parseMcubootImage(image)).toThrow(/not an MCUboot image/);
  });
});
