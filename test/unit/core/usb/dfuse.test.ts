import { describe, expect, it } from 'vitest';
import {
  dfuseErasePage,
  dfuseMassErase,
  dfusePagesToErase,
  dfuseSetAddress,
  parseDfuSeCommand,
  parseDfuSeLayout,
} from '../../../../core/usb/dfuse';

const F4 = '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';

describe('DfuSe', () => {
  it('encodes and decodes the commands (UM0391 § 6)', () => {
    expect([...dfuseSetAddress(0x08004000)]).toEqual([0x21, 0x00, 0x40, 0x00, 0x08]);
    expect([...dfuseErasePage(0x08000000)]).toEqual([0x41, 0x00, 0x00, 0x00, 0x08]);
    expect(parseDfuSeCommand(dfuseSetAddress(0x08004000))).toEqual({
      kind: 'set-address',
      address: 0x08004000,
    });
    expect(parseDfuSeCommand(dfuseMassErase())).toEqual({ kind: 'mass-erase' });
    expect(parseDfuSeCommand(Uint8Array.of(0x77)).kind).toBe('unknown');
  });

  it('parses an STM32F4 memory layout', () => {
    const memory = parseDfuSeLayout(F4)!;
    expect(memory.name).toBe('Internal Flash');
    expect(memory.segments.map((s) => [s.start, s.pageSize, s.end])).toEqual([
      [0x08000000, 16384, 0x08010000],
      [0x08010000, 65536, 0x08020000],
      [0x08020000, 131072, 0x08100000],
    ]);
    expect(memory.segments.every((s) => s.readable && s.erasable && s.writable)).toBe(true);
    expect(parseDfuSeLayout('@Option Bytes  /0x1FFFC000/01*016 e')?.segments[0]).toMatchObject({
      readable: true,
      erasable: false,
      writable: true,
      pageSize: 16,
    });
    expect(parseDfuSeLayout('no layout')).toBeNull();
  });

  it('plans the pages a write touches, across sector sizes', () => {
    const memory = parseDfuSeLayout(F4)!;
    expect(dfusePagesToErase(memory, 0x08000000, 40_000)).toEqual({
      pages: [0x08000000, 0x08004000, 0x08008000],
    });
    expect(dfusePagesToErase(memory, 0x0800c000, 0x5000)).toEqual({ pages: [0x0800c000, 0x08010000] });
    expect(dfusePagesToErase(memory, 0x080ff000, 0x2000)).toMatchObject({
      problem: expect.stringContaining('outside'),
    });
  });
});
