/**
 * The 8-byte SMP header (MCUmgr Simple Management Protocol, Zephyr "SMP protocol specification"):
 *   byte 0: res(3) | version(2) | op(3)    version 0 = SMP v1, 1 = SMP v2 (grouped error codes)
 *   byte 1: flags
 *   byte 2–3: length of the CBOR payload, big-endian
 *   byte 4–5: group id, big-endian
 *   byte 6: sequence number (the response echoes the request's)
 *   byte 7: command id
 * The payload that follows is one CBOR map.
 */
import { DeckhandError } from '../result';

/** Bytes in an SMP header. */
export const SMP_HEADER_BYTES = 8;

/** SMP operations. */
export const SMP_OP = { read: 0, readResponse: 1, write: 2, writeResponse: 3 } as const;
export type SmpOp = (typeof SMP_OP)[keyof typeof SMP_OP];

/** An SMP header's fields. */
export interface SmpHeader {
  readonly op: SmpOp;
  /** 0: SMP v1; 1: SMP v2. */
  readonly version: 0 | 1;
  readonly flags: number;
  readonly length: number;
  readonly group: number;
  readonly sequence: number;
  readonly command: number;
}

/** Encodes a header. */
export function encodeSmpHeader(header: SmpHeader): Buffer {
  const out = Buffer.alloc(SMP_HEADER_BYTES);
  out[0] = ((header.version & 0x3) << 3) | (header.op & 0x7);
  out[1] = header.flags & 0xff;
  out.writeUInt16BE(header.length, 2);
  out.writeUInt16BE(header.group, 4);
  out[6] = header.sequence & 0xff;
  out[7] = header.command & 0xff;
  return out;
}

/** Decodes the header at the start of `bytes`. */
export function decodeSmpHeader(bytes: Uint8Array): SmpHeader {
  if (bytes.length < SMP_HEADER_BYTES)
    throw new DeckhandError('protocol_error', 'The device sent an SMP packet shorter than its header.');
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = (view[0]! >> 3) & 0x3;
  if (version > 1)
    throw new DeckhandError(
      'version_mismatch',
      `The device speaks SMP version ${version + 1}, which Deckhand does not know. Update Deckhand.`,
    );
  return {
    op: (view[0]! & 0x7) as SmpOp,
    version: version as 0 | 1,
    flags: view[1]!,
    length: view.readUInt16BE(2),
    group: view.readUInt16BE(4),
    sequence: view[6]!,
    command: view[7]!,
  };
}
