import { describe, expect, it } from 'vitest';
import {
  downloadCommand,
  encodeFastbootCommand,
  isFastbootPartition,
  parseFastbootResponse,
  parseMaxDownloadSize,
} from '../../../../core/usb/fastboot-protocol';

const packet = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('fastboot protocol', () => {
  it('parses the five reply tags', () => {
    expect(parseFastbootResponse(packet('OKAY0x20000000'))).toEqual({ kind: 'okay', value: '0x20000000' });
    expect(parseFastbootResponse(packet('FAILpartition does not exist'))).toEqual({
      kind: 'fail',
      reason: 'partition does not exist',
    });
    expect(parseFastbootResponse(packet('DATA0000ff00'))).toEqual({ kind: 'data', size: 0xff00 });
    expect(parseFastbootResponse(packet('INFOerasing'))).toEqual({ kind: 'info', text: 'erasing' });
    expect(parseFastbootResponse(packet('TEXTpart'))).toEqual({ kind: 'text', text: 'part' });
    expect(parseFastbootResponse(packet('DATAxyz'))).toBeNull();
    expect(parseFastbootResponse(packet('HUH?'))).toBeNull();
  });

  it('encodes commands and download sizes as the README says', () => {
    expect(downloadCommand(0x1234)).toBe('download:00001234');
    expect(() => encodeFastbootCommand('flash:\u0000')).toThrow();
    expect(() => encodeFastbootCommand('x'.repeat(4097))).toThrow();
  });

  it('reads max-download-size in hex and in decimal', () => {
    expect(parseMaxDownloadSize('0x10000000')).toBe(0x10000000);
    expect(parseMaxDownloadSize('268435456')).toBe(268435456);
    expect(parseMaxDownloadSize('')).toBeNull();
    expect(parseMaxDownloadSize('0x0')).toBeNull();
  });

  it('accepts plain partition names only', () => {
    expect(isFastbootPartition('boot_a')).toBe(true);
    expect(isFastbootPartition('system; reboot')).toBe(false);
  });
});
