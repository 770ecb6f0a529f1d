/**
 * The channel between the app and its privileged image-writer helper: the helper's stdin and stdout
 * pipes, never a network port. Frames are `length (u32 BE) ‖ JSON ‖ HMAC-SHA256 (32 bytes)`, the
 * HMAC keyed with a random 32-byte key the app sends first (the only unauthenticated bytes, and only
 * the parent holds the pipe) and covering a per-direction sequence number and the JSON, so a frame
 * cannot be forged, replayed or reordered by anything that gets between the two (a sudo wrapper's
 * output, a stray write to the pipe). Any bad frame ends the channel.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DeckhandError } from '../result';

/** Bytes of the channel key. */
export const CHANNEL_KEY_BYTES = 32;
const MAC_BYTES = 32;
/** Largest JSON frame (a request or a result list is small). */
export const MAX_FRAME_BYTES = 1024 * 1024;

function mac(key: Buffer, sequence: number, json: Buffer): Buffer {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(sequence));
  return createHmac('sha256', key).update(counter).update(json).digest();
}

/** Encodes outgoing frames for one direction. */
export class FrameWriter {
  readonly #key: Buffer;
  #sequence = 0;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The frame for `message`. */
  frame(message: unknown): Buffer {
    const json = Buffer.from(JSON.stringify(message));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    const tag = mac(this.#key, this.#sequence, json);
    this.#sequence += 1;
    return Buffer.concat([length, json, tag]);
  }
}

/** Decodes incoming frames for one direction; throws `unauthorized` on a bad frame. */
export class FrameReader {
  readonly #key: Buffer;
  #sequence = 0;
  #pending: Buffer = Buffer.alloc(0);

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** Feeds bytes; returns the messages completed. */
  push(chunk: Buffer): unknown[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: unknown[] = [];
    for (;;) {
      if (this.#pending.length < 4) break;
      const length = this.#pending.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES)
        throw new DeckhandError(
          'unauthorized',
          'The image-writer helper channel carried an oversized frame.',
        );
      if (this.#pending.length < 4 + length + MAC_BYTES) break;
      const json = this.#pending.subarray(4, 4 + length);
      const tag = this.#pending.subarray(4 + length, 4 + length + MAC_BYTES);
      if (!timingSafeEqual(tag, mac(this.#key, this.#sequence, json)))
        throw new DeckhandError(
          'unauthorized',
          'The image-writer helper channel carried a frame that is not authentic.',
        );
      this.#sequence += 1;
      messages.push(JSON.parse(json.toString('utf8')));
      this.#pending = this.#pending.subarray(4 + length + MAC_BYTES);
    }
    return messages;
  }
}
