/**
 * Bundle metadata files must be TUF canonical JSON (OLPC dialect, as @tufjs/canonical-json writes
 * it). Requiring the stored bytes to be canonical means one document has one encoding: duplicate
 * keys, odd escapes or whitespace that two JSON parsers could read differently are refused, and the
 * hashes in snapshot and timestamp pin exactly what was signed. (core/eventlog/canonical-json is a
 * different dialect, for the deploy log; do not mix them.)
 */
import { canonicalize } from '@tufjs/canonical-json';
import { DeckhandError } from '../result';

/** A JSON value (the same shape as @tufjs/models' JSONValue). */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A parsed JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Encodes a value as TUF canonical JSON bytes. */
export function encodeCanonical(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalize(value));
}

/**
 * Parses a metadata file, refusing anything that is not a canonical JSON object. `file` names it in
 * the technician's message.
 */
export function parseCanonical(bytes: Uint8Array, file: string): JsonObject {
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw invalid(file, 'is not readable JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(file, 'is not an object');
  let canonical: string;
  try {
    canonical = canonicalize(value);
  } catch {
    // Floats and other values canonical JSON cannot encode.
    throw nonCanonical(file);
  }
  if (canonical !== text) throw nonCanonical(file);
  return value as JsonObject;
}

function invalid(file: string, why: string): DeckhandError {
  return new DeckhandError(
    'invalid_metadata',
    `This bundle was refused: its ${file} ${why}. The file is damaged or was not made by HQ; ask HQ for a fresh bundle.`,
    { file },
  );
}

function nonCanonical(file: string): DeckhandError {
  return new DeckhandError(
    'non_canonical',
    `This bundle was refused: its ${file} is not in the exact form HQ signs (canonical JSON), so it was altered after signing. Ask HQ for a fresh bundle.`,
    { file },
  );
}
