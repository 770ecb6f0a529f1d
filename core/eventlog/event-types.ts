/**
 * The shapes of deploy-log events and of a chain verification. Types only, with no runtime imports,
 * so the renderer can import them without Node types.
 */
import type { JsonValue } from './canonical-json';

/** What an event says, before it is placed in the chain. */
export interface EventDraft {
  /** Dotted event kind, e.g. `app.started`, `bundle.imported`, `deploy.committed`. */
  readonly kind: string;
  /** Device URI or serial the event concerns, or null for laptop-wide events. */
  readonly device: string | null;
  /** Event-specific data; must be representable as canonical JSON. */
  readonly payload: { readonly [key: string]: JsonValue };
}

/** An event as stored: its place in the chain and its hashes. */
export interface ChainedEvent extends EventDraft {
  readonly seq: number;
  /** ISO 8601 UTC time with milliseconds, from the laptop clock. */
  readonly time: string;
  readonly prevHash: string;
  readonly hash: string;
}

/** The outcome of walking the chain. */
export type ChainStatus =
  | { readonly valid: true; readonly size: number; readonly head: string }
  | {
      readonly valid: false;
      readonly size: number;
      /** The first seq whose row does not verify; everything before it is intact. */
      readonly firstBadSeq: number;
      readonly reason: ChainFault;
      /** Hash of the last event that verified (GENESIS_HASH when none did). */
      readonly lastGoodHash: string;
    };

/** Why a row fails verification. */
export type ChainFault = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'unreadable';

/** A stored row as read back; payload may be unparsable if the row was tampered with. */
export interface StoredEventRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly device: string | null;
  /** Canonical JSON text of the payload as stored. */
  readonly payloadJson: string;
  readonly prevHash: string;
  readonly hash: string;
}
