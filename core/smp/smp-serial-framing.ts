/**
 * SMP over a serial console (Zephyr "SMP over console" / mcumgr serial transport). A packet is sent
 * as text lines, so it can share the line with a shell:
 *   body  = length (u16 BE, packet bytes + 2) ‖ SMP packet ‖ CRC16 (u16 BE) of the packet
 *   lines = base64 of the body, cut into lines of at most 127 bytes including the 2-byte marker and
 *           the newline; the first line starts 0x06 0x09, each further one 0x04 0x14.
 * Each line carries whole 3-byte groups (93 bytes → 124 base64 characters), so each line decodes on
 * its own. The CRC is CRC-16/XMODEM (CCITT polynomial 0x1021, initial value 0), as Zephyr's
 * crc16_itu_t. Lines without a marker are console output and are passed on untouched.
 */
import { DeckhandError } from '../result';

/** Longest console line, marker and newline included (MCUMGR_SERIAL_MAX_FRAME). */
export const SERIAL_MAX_LINE = 127;
/** Raw bytes per line: whole base64 groups that fit between marker and newline. */
export const SERIAL_BYTES_PER_LINE = Math.floor((SERIAL_MAX_LINE - 3) / 4) * 3;
const START = Buffer.from([0x06, 0x09]);
const CONTINUE = Buffer.from([0x04, 0x14]);
const NEWLINE = 0x0a;

/** CRC-16/XMODEM (poly 0x1021, init 0, no reflection). */
export function crc16Xmodem(bytes: Uint8Array, initial = 0): number {
  let crc = initial;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit += 1)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Encodes one SMP packet as console lines (one Buffer holding them all). */
export function encodeSerialPacket(packet: Uint8Array): Buffer {
  if (packet.length + 2 > 0xffff)
    throw new DeckhandError(
      'message_too_large',
      'An SMP packet over a serial console is limited to 65533 bytes.',
    );
  const body = Buffer.alloc(packet.length + 4);
  body.writeUInt16BE(packet.length + 2, 0);
  body.set(packet, 2);
  body.writeUInt16BE(crc16Xmodem(packet), packet.length + 2);
  const lines: Buffer[] = [];
  for (let at = 0; at < body.length; at += SERIAL_BYTES_PER_LINE) {
    const text = body.subarray(at, at + SERIAL_BYTES_PER_LINE).toString('base64');
    lines.push(at === 0 ? START : CONTINUE, Buffer.from(text, 'latin1'), Buffer.from([NEWLINE]));
  }
  return Buffer.concat(lines);
}

/** What the decoder found in the stream. */
export type SerialEvent =
  | { readonly kind: 'packet'; readonly packet: Buffer }
  | { readonly kind: 'console'; readonly text: string }
  | { readonly kind: 'damaged'; readonly reason: string };

/** Reassembles SMP packets from console bytes; feed it chunks as they arrive. */
export class SerialPacketDecoder {
  #line: Buffer[] = [];
  #lineBytes = 0;
  #body: Buffer[] | null = null;

  /** Consumes a chunk; returns the packets, console lines and damage found in it. */
  push(chunk: Uint8Array): SerialEvent[] {
    const events: SerialEvent[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i += 1) {
      if (chunk[i] !== NEWLINE) continue;
      this.#append(chunk.subarray(start, i));
      start = i + 1;
      const line = Buffer.concat(this.#line);
      this.#line = [];
      this.#lineBytes = 0;
      this.#takeLine(line, events);
    }
    this.#append(chunk.subarray(start));
    return events;
  }

  #append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // A line longer than any frame is console noise; keep only its tail so memory stays bounded.
    this.#line.push(Buffer.from(bytes));
    this.#lineBytes += bytes.length;
    if (this.#lineBytes > 64 * 1024) {
      const joined = Buffer.concat(this.#line).subarray(-SERIAL_MAX_LINE);
      this.#line = [joined];
      this.#lineBytes = joined.length;
    }
  }

  #takeLine(raw: Buffer, events: SerialEvent[]): void {
    const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, -1) : raw;
    const isStart = line.length >= 2 && line[0] === START[0] && line[1] === START[1];
    const isContinue = line.length >= 2 && line[0] === CONTINUE[0] && line[1] === CONTINUE[1];
    if (!isStart && !isContinue) {
      if (line.length > 0) events.push({ kind: 'console', text: line.toString('utf8') });
      return;
    }
    if (isStart) {
      if (this.#body !== null)
        events.push({ kind: 'damaged', reason: 'a new packet started before the last one ended' });
      this.#body = [];
    } else if (this.#body === null) {
      events.push({ kind: 'damaged', reason: 'a continuation line without a start line' });
      return;
    }
    const text = line.subarray(2).toString('latin1');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
      this.#body = null;
      events.push({ kind: 'damaged', reason: 'a line that is not base64' });
      return;
    }
    const bytes = Buffer.from(text, 'base64');
    this.#body.push(bytes);
    const body = Buffer.concat(this.#body);
    this.#body = [body];
    if (body.length < 2) return;
    const length = body.readUInt16BE(0);
    if (body.length < 2 + length) return;
    this.#body = null;
    if (body.length > 2 + length || length < 2) {
      events.push({ kind: 'damaged', reason: 'a packet longer than its length field' });
      return;
    }
    const packet = body.subarray(2, 2 + length - 2);
    if (crc16Xmodem(body.subarray(2, 2 + length)) !== 0) {
      events.push({ kind: 'damaged', reason: 'a packet whose CRC does not match' });
      return;
    }
    events.push({ kind: 'packet', packet: Buffer.from(packet) });
  }
}
