import { describe, expect, it } from 'vitest';
import {
  SERIAL_MAX_LINE,
  SerialPacketDecoder,
  crc16Xmodem,
  encodeSerialPacket,
} from '../../../../core/smp/smp-serial-framing';
import { seededRandom } from '../../../support/seeded-random';

function packetOf(length: number, seed = 1): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

describe('SMP serial console framing', () => {
  it('computes CRC-16/XMODEM (check value of "123456789" is 0x31C3)', () => {
    expect(crc16Xmodem(Buffer.from('123456789'))).toBe(0x31c3);
  });

  it('cuts a packet into base64 lines of at most 127 bytes with start and continuation markers', () => {
    const packet = packetOf(1000);
    const text = encodeSerialPacket(packet);
    const lines = text.toString('latin1').split('\n').slice(0, -1);
    expect(lines.length).toBeGreaterThan(1);
    lines.forEach((line, index) => {
      expect(line.length + 1).toBeLessThanOrEqual(SERIAL_MAX_LINE);
      expect([line.charCodeAt(0), line.charCodeAt(1)]).toEqual(index === 0 ? [0x06, 0x09] : [0x04, 0x14]);
    });
    // Body = length ‖ packet ‖ CRC, base64 across the lines.
    const body = Buffer.concat(lines.map((line) => Buffer.from(line.slice(2), 'base64')));
    expect(body.readUInt16BE(0)).toBe(packet.length + 2);
    expect(body.subarray(2, -2).equals(packet)).toBe(true);
    expect(body.readUInt16BE(body.length - 2)).toBe(crc16Xmodem(packet));
  });

  it('reassembles packets fed one byte at a time, with console lines between them', () => {
    const decoder = new SerialPacketDecoder();
    const a = packetOf(300, 2);
    const b = packetOf(5, 3);
    const stream = Buffer.concat([
      Buffer.from('uart:~$ hello\r\n'),
      encodeSerialPacket(a),
      Buffer.from('[00:00:01] <inf> log line\n'),
      encodeSerialPacket(b),
    ]);
    const events = [...stream].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(
      events.filter((e) => e.kind === 'console').map((e) => (e.kind === 'console' ? e.text : '')),
    ).toEqual(['uart:~$ hello', '[00:00:01] <inf> log line']);
    const packets = events.flatMap((e) => (e.kind === 'packet' ? [e.packet] : []));
    expect(packets).toHaveLength(2);
    expect(packets[0]!.equals(a)).toBe(true);
    expect(packets[1]!.equals(b)).toBe(true);
  });

  it('reports a packet with a flipped bit as damaged and recovers for the next one', () => {
    const decoder = new SerialPacketDecoder();
    const good = packetOf(200, 4);
    const damaged = encodeSerialPacket(packetOf(200, 5));
    // Flip a base64 character to another valid one inside the first line.
    damaged[10] = damaged[10] === 0x41 ? 0x42 : 0x41;
    const events = decoder.push(Buffer.concat([damaged, encodeSerialPacket(good)]));
    expect(events.map((e) => e.kind)).toEqual(['damaged', 'packet']);
    const last = events[1];
    expect(last?.kind === 'packet' && last.packet.equals(good)).toBe(true);
  });

  it('ignores a continuation line with no start line', () => {
    const decoder = new SerialPacketDecoder();
    const events = decoder.push(Buffer.from([0x04, 0x14, 0x41, 0x41, 0x41, 0x41, 0x0a]));
    expect(events).toEqual([{ kind: 'damaged', reason: 'a continuation line without a start line' }]);
  });
});
