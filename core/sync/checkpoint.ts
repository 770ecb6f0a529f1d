/**
 * Signed checkpoints and receipts, in the manner of Certificate Transparency's signed tree heads:
 * a checkpoint is the technician's signed claim "my log has `size` events and its head hash is
 * `head`"; a receipt is HQ's signed answer "I hold this technician's events 1..`size`, ending in
 * `head`". Because every event hash covers the one before it, a (size, head) pair commits to the
 * whole prefix, so a later log that disagrees with a receipt is detectably a different history.
 */
import type { KeyObject } from 'node:crypto';
import { signValue, verifyValue } from './signing';

/** The technician's claim about their log. */
export interface Checkpoint {
  readonly v: 1;
  /** Key id of the technician key that signs it. */
  readonly technician: string;
  readonly size: number;
  /** Hash of event `size` (GENESIS_HASH when size is 0). */
  readonly head: string;
  /** ISO 8601 time from the laptop clock. */
  readonly time: string;
}

/** A checkpoint and the technician's signature over it. */
export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly signature: string;
}

/** HQ's acknowledgement of the highest contiguous seq it holds for a technician. */
export interface Receipt {
  readonly v: 1;
  /** Key id of the HQ key that signs it. */
  readonly hq: string;
  readonly technician: string;
  readonly size: number;
  readonly head: string;
  readonly time: string;
}

/** A receipt and HQ's signature over it. */
export interface SignedReceipt {
  readonly receipt: Receipt;
  readonly signature: string;
}

/** Signs a checkpoint with the technician key. */
export function signCheckpoint(privateKey: KeyObject, checkpoint: Checkpoint): SignedCheckpoint {
  return { checkpoint, signature: signValue(privateKey, 'deckhand.checkpoint.v1', checkpoint) };
}

/** True when `signed` carries a valid signature by `publicKey`. */
export function verifyCheckpoint(publicKey: string, signed: SignedCheckpoint): boolean {
  return verifyValue(publicKey, 'deckhand.checkpoint.v1', signed.checkpoint, signed.signature);
}

/** Signs a receipt with HQ's key. */
export function signReceipt(privateKey: KeyObject, receipt: Receipt): SignedReceipt {
  return { receipt, signature: signValue(privateKey, 'deckhand.receipt.v1', receipt) };
}

/** True when `signed` carries a valid signature by HQ's `publicKey`. */
export function verifyReceipt(publicKey: string, signed: SignedReceipt): boolean {
  return verifyValue(publicKey, 'deckhand.receipt.v1', signed.receipt, signed.signature);
}
