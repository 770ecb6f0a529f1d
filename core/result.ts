/**
 * Errors as values. Every boundary (IPC, WebSocket bridge, CLI --json, later the device protocol and
 * HQ) reports failure as `{ ok: false, error: { code, message } }` with a code from this list, and a
 * message written for a technician: what happened and what to do next.
 */

/** Stable error codes. Add codes; never rename or reuse one (HQ and scripts match on them). */
export const ERROR_CODES = [
  'invalid_input',
  'unknown_verb',
  'untrusted_sender',
  'unauthorized',
  'not_found',
  'db_locked',
  'db_readonly',
  'db_corrupt',
  'disk_full',
  'chain_broken',
  'usage',
  'internal',
  'cancelled',
  // Bundles and trust (issue: signed offline bundles).
  'not_pinned',
  'not_a_bundle',
  'truncated',
  'unsafe_path',
  'invalid_metadata',
  'non_canonical',
  'bad_signature',
  'threshold_not_met',
  'unknown_key',
  'invalid_root_rotation',
  'expired',
  'rollback',
  'hash_mismatch',
  'length_mismatch',
  'delegation_violation',
  // Sync to HQ (issue: later sync).
  'not_enrolled',
  'key_revoked',
  'hq_unreachable',
  'hq_untrusted',
  'inconsistent_log',
  'invalid_checkpoint',
  'key_unavailable',
  // Device agent and protocol (issue: device agent).
  'protocol_error',
  'timeout',
  'link_lost',
  'message_too_large',
  'not_supported',
  'version_mismatch',
  'bad_target',
  'invalid_state',
  'incompatible_hardware',
  'untrusted_device',
  // Deploy (issue: deploy).
  'requirement_unmet',
  'not_allowed',
  'insufficient_space',
  'health_failed',
  'no_reconnect',
  // USB bootloaders (issue #9: DFU, fastboot): the device itself reported a failure (DFU bStatus, fastboot FAIL).
  'device_failed',
  // Image writer for removable drives (issue #9).
  'unplugged',
  'system_drive',
  'source_drive',
  'drive_in_use',
  'drive_too_small',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The data shape of an error as it crosses a boundary. */
export interface AppErrorData {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details?: unknown;
}

/** A success or a coded failure, as plain data. */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: AppErrorData };

/** An exception that carries a stable code; services throw it, boundaries turn it into a Result. */
export class DeckhandError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DeckhandError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }

  toData(): AppErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Wraps a value as a success. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps a coded error as a failure. */
export function fail(code: ErrorCode, message: string, details?: unknown): Result<never> {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Converts anything thrown into error data. A DeckhandError keeps its code; anything else is an
 * `internal` error whose message does not leak stack traces or paths to the UI.
 */
export function toErrorData(thrown: unknown): AppErrorData {
  if (thrown instanceof DeckhandError) return thrown.toData();
  return {
    code: 'internal',
    message:
      'Something went wrong inside Deckhand. The details are in the application log; please report them.',
  };
}

/** Exhaustiveness check for union switches. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
