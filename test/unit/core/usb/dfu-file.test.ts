import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  appendDfuSuffix,
  buildDfuSeFile,
  checkDfuSuffix,
  dfuCrc32,
  parseDfuSeFile,
  readDfuSuffix,
} from '../../../../core/usb/dfu-file';

const bytes = (n: number, seed = 7): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('DFU suffix', () => {
  it('uses CRC-32 without the final inversion, as dfu-util does', () => {
    const data = new TextEncoder().encode('123456789');
    // zlib's CRC-32 of "123456789" is 0xCBF43926; the DFU CRC is its complement.
    expect(crc32(data)).toBe(0xcbf43926);
    expect(dfuCrc32(data)).toBe(~0xcbf43926 >>> 0);
  });

  it('round-trips: the suffix carries the ids, and the payload comes back without it', () => {
    const payload = bytes(3000);
    const file = appendDfuSuffix(payload, { vendorId: 0x0483, productId: 0xdf11 });
    expect(file.length).toBe(3016);
    expect(readDfuSuffix(file)).toMatchObject({ vendorId: 0x0483, productId: 0xdf11, dfuVersion: 0x0100 });
    const checked = checkDfuSuffix(file, { vendorId: 0x0483, productId: 0xdf11 });
    expect(checked.ok && Buffer.from(checked.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it('refuses a file with one flipped bit (bad CRC)', () => {
    const file = appendDfuSuffix(bytes(512), { vendorId: 0x0483, productId: 0xdf11 });
    file[100]! ^= 0x01;
    const checked = checkDfuSuffix(file, { vendorId: 0x0483, productId: 0xdf11 });
    expect(checked).toMatchObject({ ok: false, problem: 'bad_crc' });
  });

  it('refuses a file for another VID:PID, and accepts 0xFFFF as any', () => {
    const other = appendDfuSuffix(bytes(64), { vendorId: 0x1234, productId: 0x5678 });
    expect(checkDfuSuffix(other, { vendorId: 0x0483, productId: 0xdf11 })).toMatchObject({
      ok: false,
      problem: 'wrong_device',
    });
    const any = appendDfuSuffix(bytes(64), { vendorId: 0xffff, productId: 0xffff });
    expect(checkDfuSuffix(any, { vendorId: 0x0483, productId: 0xdf11 }).ok).toBe(true);
  });

  it('reports a missing suffix', () => {
    expect(checkDfuSuffix(bytes(64), { vendorId: 1, productId: 2 })).toMatchObject({
      ok: false,
      problem: 'missing',
    });
  });
});

describe('DfuSe container', () => {
  it('round-trips targets and elements', () => {
    const targets = [
      {
        alternateSetting: 0,
        name: 'Internal Flash',
        elements: [
          { address: 0x08000000, data: bytes(1000) },
          { address: 0x08020000, data: bytes(10, 3) },
        ],
      },
      { alternateSetting: 1, name: '', elements: [{ address: 0x1fff7800, data: bytes(16) }] },
    ];
    const parsed = parseDfuSeFile(buildDfuSeFile(targets));
    expect(
      parsed.map((t) => [t.alternateSetting, t.name, t.elements.map((e) => [e.address, e.data.length])]),
    ).toEqual([
      [
        0,
        'Internal Flash',
        [
          [0x08000000, 1000],
          [0x08020000, 10],
        ],
      ],
      [1, '', [[0x1fff7800, 16]]],
    ]);
  });

  it('refuses a truncated container', () => {
    const file = buildDfuSeFile([
      { alternateSetting: 0, name: 'x', elements: [{ address: 0, data: bytes(100) }] },
    ]);
    expect(() => parseDfuSeFile(file.subarray(0, file.length - 10))).toThrow(/damaged/);
  });
});
