/**
 * One SMP packet: the 8-byte header and its CBOR map (the cbor2 package encodes and decodes).
 * Byte strings come back as Uint8Array, maps with text keys as plain objects.
 */
import { decode, encode } from 'cbor2';
import { DeckhandError } from '../result';
import { SMP_HEADER_BYTES, decodeSmpHeader, encodeSmpHeader, type SmpHeader } from './smp-header';

/** A CBOR map as SMP carries it. */
export type SmpBody = Readonly<Record<string, unknown>>;

/** A decoded SMP packet. */
export interface SmpPacket {
  readonly header: SmpHeader;
  readonly body: SmpBody;
}

/** Encodes a packet; the header's length is set from the body. */
export function encodeSmpPacket(header: Omit<SmpHeader, 'length'>, body: SmpBody): Buffer {
  const payload = Buffer.from(encode(plainBytes(body)));
  return Buffer.concat([encodeSmpHeader({ ...header, length: payload.length }), payload]);
}

/** Decodes one whole packet (header and exactly `length` payload bytes). */
export function decodeSmpPacket(bytes: Uint8Array): SmpPacket {
  const header = decodeSmpHeader(bytes);
  if (bytes.length !== SMP_HEADER_BYTES + header.length)
    throw new DeckhandError(
      'protocol_error',
      `The SMP packet says ${header.length} payload bytes but carries ${bytes.length - SMP_HEADER_BYTES}.`,
    );
  if (header.length === 0) return { header, body: {} };
  let body: unknown;
  try {
    body = decode(bytes.subarray(SMP_HEADER_BYTES));
  } catch {
    throw new DeckhandError('protocol_error', 'The SMP packet carries a payload that is not valid CBOR.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || body instanceof Uint8Array)
    throw new DeckhandError('protocol_error', 'The SMP payload is not a CBOR map.');
  return { header, body: body as SmpBody };
}

/** Bytes of a body once encoded (to size upload chunks). */
export function encodedBodyBytes(body: SmpBody): number {
  return encode(plainBytes(body)).length;
}

/** Bytes CBOR needs to carry a byte string of `n` bytes (its head plus the bytes). */
export function cborByteStringBytes(n: number): number {
  return n + (n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

/** Node Buffers as plain Uint8Arrays: cbor2 would encode a Buffer through its toJSON, as a map. */
function plainBytes(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return value.map(plainBytes);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array))
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plainBytes(inner)]));
  return value;
}
