/**
 * A message is one `message` frame whose payload is: JSON length (u32) | JSON envelope | binary body.
 * The body carries upload data without base64; everything else is in the JSON. Both parts are
 * bounded so a peer can refuse an oversized message from its header alone.
 */
import { DeckhandError } from '../result';

/** Largest JSON part: TUF metadata for a target (root chain, timestamp, snapshot, targets, roles). */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Largest binary body: one upload chunk. */
export const MAX_BODY_BYTES = 256 * 1024;
/** Largest message frame payload either side accepts. */
export const MAX_MESSAGE_BYTES = 4 + MAX_JSON_BYTES + MAX_BODY_BYTES;

/** A decoded message: the parsed JSON envelope (unvalidated) and the body. */
export interface RawMessage {
  readonly json: unknown;
  readonly body: Buffer;
}

/** Encodes an envelope and optional body into a frame payload. */
export function encodeMessage(envelope: unknown, body: Uint8Array = Buffer.alloc(0)): Buffer {
  return Buffer.concat(encodeMessageParts(envelope, body));
}

/**
 * The same payload as encodeMessage, as two parts (length and JSON, then the body itself) so a
 * large body is never copied on its way to the stream.
 */
export function encodeMessageParts(
  envelope: unknown,
  body: Uint8Array = Buffer.alloc(0),
): [Buffer, Uint8Array] {
  const json = Buffer.from(JSON.stringify(envelope), 'utf8');
  if (json.length > MAX_JSON_BYTES || body.length > MAX_BODY_BYTES) {
    throw new DeckhandError('message_too_large', 'The message is larger than the protocol allows.', {
      json: json.length,
      body: body.length,
    });
  }
  const head = Buffer.allocUnsafe(4 + json.length);
  head.writeUInt32BE(json.length, 0);
  json.copy(head, 4);
  return [head, body];
}

/** Decodes a frame payload; throws `protocol_error` / `message_too_large` on a malformed one. */
export function decodeMessage(payload: Buffer): RawMessage {
  if (payload.length < 4) throw new DeckhandError('protocol_error', 'A message was shorter than its header.');
  const jsonLength = payload.readUInt32BE(0);
  if (jsonLength > MAX_JSON_BYTES || jsonLength > payload.length - 4) {
    throw new DeckhandError(
      jsonLength > MAX_JSON_BYTES ? 'message_too_large' : 'protocol_error',
      'A message announced a JSON part that does not fit.',
    );
  }
  const body = payload.subarray(4 + jsonLength);
  if (body.length > MAX_BODY_BYTES)
    throw new DeckhandError('message_too_large', 'A message body is too large.');
  let json: unknown;
  try {
    json = JSON.parse(payload.subarray(4, 4 + jsonLength).toString('utf8'));
  } catch {
    throw new DeckhandError('protocol_error', 'A message was not valid JSON.');
  }
  return { json, body };
}
