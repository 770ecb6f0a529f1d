/**
 * The Deckhand frame: one format for serial link frames and for message frames on a reliable stream
 * (TLS). docs/protocol.md § Frames has the byte layout. The header carries its own CRC so a corrupted
 * length is caught at once and the decoder resynchronises by scanning for the next marker, instead of
 * waiting for bytes that will never come.
 */
import { crc32 } from 'node:zlib';

/** Two bytes that open every frame. */
export const FRAME_MARKER = 0xdeca;
/** marker(2) type(1) flags(1) seq(4) length(4) headerCrc(4). */
export const FRAME_HEADER_BYTES = 16;
/** The payload CRC that follows the payload. */
export const FRAME_TRAILER_BYTES = 4;

/** Frame types. Link types (data … rst) only appear on serial; `message` rides a reliable stream. */
export const FrameType = {
  data: 1,
  ack: 2,
  syn: 3,
  synAck: 4,
  rst: 5,
  message: 16,
} as const;

export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** Frame flags (a bit set). */
export const FrameFlag = {
  /**
   * The payload CRC is left out (the trailer is zero): the stream below already guarantees
   * integrity (TLS, or the serial link's own frame CRCs). Only message frames on a stream use it,
   * and only once the peer has said it takes them; see docs/protocol.md § Frames.
   */
  noPayloadCrc: 0x01,
} as const;

/** One decoded frame. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly payload: Buffer;
}

/** Encodes a frame; `payload` must not exceed the peer's bound (checked by the decoder). */
export function encodeFrame(type: number, seq: number, payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length + FRAME_TRAILER_BYTES);
  out.writeUInt16BE(FRAME_MARKER, 0);
  out.writeUInt8(type, 2);
  out.writeUInt8(flags, 3);
  out.writeUInt32BE(seq >>> 0, 4);
  out.writeUInt32BE(payload.length, 8);
  out.writeUInt32BE(crc32(out.subarray(0, 12)), 12);
  out.set(payload, FRAME_HEADER_BYTES);
  out.writeUInt32BE(crc32(payload), FRAME_HEADER_BYTES + payload.length);
  return out;
}

/**
 * Encodes a frame whose payload is given in parts, without copying them: returns the header, the
 * parts themselves and the trailer, for a vectored write. Byte for byte what encodeFrame makes of
 * their concatenation (the payload CRC runs across the parts).
 */
export function encodeFrameParts(
  type: number,
  seq: number,
  parts: readonly Uint8Array[],
  flags = 0,
): Uint8Array[] {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt16BE(FRAME_MARKER, 0);
  header.writeUInt8(type, 2);
  header.writeUInt8(flags, 3);
  header.writeUInt32BE(seq >>> 0, 4);
  header.writeUInt32BE(length, 8);
  header.writeUInt32BE(crc32(header.subarray(0, 12)), 12);
  let crc = 0;
  if ((flags & FrameFlag.noPayloadCrc) === 0) for (const part of parts) crc = crc32(part, crc);
  const trailer = Buffer.allocUnsafe(FRAME_TRAILER_BYTES);
  trailer.writeUInt32BE(crc >>> 0, 0);
  return [header, ...parts.filter((part) => part.length > 0), trailer];
}

/** What the decoder reports besides good frames. */
export interface FrameDecoderEvents {
  readonly onFrame: (frame: Frame) => void;
  /** A frame whose intact header announced more than `maxPayload` bytes. */
  readonly onOversized?: (announced: number, type: number, seq: number) => void;
  /** Bytes skipped while hunting for a marker, or frames dropped for a bad CRC. */
  readonly onDamage?: (kind: 'garbage' | 'bad_header' | 'bad_payload', bytes: number) => void;
  /** Take frames flagged noPayloadCrc without checking their payload (only on an intact stream). */
  readonly acceptNoPayloadCrc?: boolean;
}

/**
 * Incremental decoder with resynchronisation: garbage before a marker is skipped; a header or
 * payload that fails its CRC drops one byte and the scan starts again, so a lost byte costs the
 * damaged frame and nothing after it.
 *
 * Speed: received chunks are held as they came; a complete frame's payload is copied once, straight
 * into a buffer of its own (never pooled, so its receiver may keep it or hand its memory on), and the
 * chunks are never joined on the way.
 */
export class FrameDecoder {
  readonly #maxPayload: number;
  readonly #events: FrameDecoderEvents;
  #chunks: Buffer[] = [];
  /** Bytes of #chunks[0] already consumed. */
  #offset = 0;
  #total = 0;
  /** The intact header at the front, while its payload is still arriving. */
  #header: {
    readonly type: number;
    readonly flags: number;
    readonly seq: number;
    readonly length: number;
  } | null = null;
  #closed = false;

  constructor(maxPayload: number, events: FrameDecoderEvents) {
    this.#maxPayload = maxPayload;
    this.#events = events;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.#total;
  }

  /** Stops decoding (after an oversized frame on a stream, say); later input is ignored. */
  close(): void {
    this.#closed = true;
    this.#chunks = [];
    this.#offset = 0;
    this.#total = 0;
    this.#header = null;
  }

  /** Feeds received bytes; frames are reported synchronously. */
  push(chunk: Uint8Array): void {
    if (this.#closed || chunk.length === 0) return;
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    this.#chunks.push(buf);
    this.#total += buf.length;
    this.#drain();
  }

  #drain(): void {
    for (;;) {
      if (this.#closed) return;
      const header = this.#header ?? this.#scanHeader();
      if (header === null) return;
      const whole = FRAME_HEADER_BYTES + header.length + FRAME_TRAILER_BYTES;
      if (this.#total < whole) {
        this.#header = header;
        return;
      }
      this.#header = null;
      const payload = Buffer.allocUnsafeSlow(header.length);
      this.#copyOut(FRAME_HEADER_BYTES, payload);
      const unchecked =
        this.#events.acceptNoPayloadCrc === true && (header.flags & FrameFlag.noPayloadCrc) !== 0;
      const trailer = this.#read(FRAME_HEADER_BYTES + header.length, FRAME_TRAILER_BYTES);
      if (!unchecked && trailer.readUInt32BE(0) !== crc32(payload)) {
        this.#events.onDamage?.('bad_payload', 1);
        this.#consume(1);
        continue;
      }
      this.#consume(whole);
      this.#events.onFrame({ type: header.type, flags: header.flags, seq: header.seq, payload });
    }
  }

  /** Finds the next intact header at the front (skipping damage), or null when more bytes are needed. */
  #scanHeader(): { type: number; flags: number; seq: number; length: number } | null {
    for (;;) {
      if (this.#closed || this.#total < FRAME_HEADER_BYTES) return null;
      const head = this.#read(0, FRAME_HEADER_BYTES);
      if (head.readUInt16BE(0) !== FRAME_MARKER) {
        const flat = this.#flat();
        const at = findMarker(flat);
        // Keep a trailing first marker byte: the second may be in the next chunk.
        const skip =
          at >= 0 ? at : flat[flat.length - 1] === FRAME_MARKER >> 8 ? flat.length - 1 : flat.length;
        this.#events.onDamage?.('garbage', skip);
        this.#consume(skip);
        continue;
      }
      if (head.readUInt32BE(12) !== crc32(head.subarray(0, 12))) {
        this.#events.onDamage?.('bad_header', 1);
        this.#consume(1);
        continue;
      }
      const type = head.readUInt8(2);
      const seq = head.readUInt32BE(4);
      const length = head.readUInt32BE(8);
      if (length > this.#maxPayload) {
        this.#consume(FRAME_HEADER_BYTES);
        this.#events.onOversized?.(length, type, seq);
        continue;
      }
      return { type, flags: head.readUInt8(3), seq, length };
    }
  }

  /** Joins the held bytes into one buffer (only while hunting for a marker). */
  #flat(): Buffer {
    const flat = Buffer.concat(this.#chunks, this.#offset + this.#total).subarray(this.#offset);
    this.#chunks = flat.length > 0 ? [flat] : [];
    this.#offset = 0;
    return flat;
  }

  /** `length` bytes from `start` (a view when they lie in one chunk, else a copy). */
  #read(start: number, length: number): Buffer {
    const first = this.#chunks[0];
    const from = this.#offset + start;
    if (first && from + length <= first.length) return first.subarray(from, from + length);
    const out = Buffer.allocUnsafe(length);
    this.#copyOut(start, out);
    return out;
  }

  /** Copies held bytes from `start` into all of `target`. */
  #copyOut(start: number, target: Buffer): void {
    let skip = this.#offset + start;
    let written = 0;
    for (const chunk of this.#chunks) {
      if (written === target.length) return;
      if (skip >= chunk.length) {
        skip -= chunk.length;
        continue;
      }
      written += chunk.copy(target, written, skip, Math.min(chunk.length, skip + target.length - written));
      skip = 0;
    }
  }

  #consume(bytes: number): void {
    this.#total -= bytes;
    let left = this.#offset + bytes;
    while (this.#chunks.length > 0 && left >= this.#chunks[0]!.length) {
      left -= this.#chunks[0]!.length;
      this.#chunks.shift();
    }
    this.#offset = this.#chunks.length > 0 ? left : 0;
  }
}

function findMarker(buf: Buffer): number {
  const hi = FRAME_MARKER >> 8;
  const lo = FRAME_MARKER & 0xff;
  let from = 0;
  for (;;) {
    const i = buf.indexOf(hi, from);
    if (i < 0 || i + 1 >= buf.length) return -1;
    if (buf[i + 1] === lo) return i;
    from = i + 1;
  }
}
