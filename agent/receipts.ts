/**
 * Signed device receipts for install, commit and rollback: Ed25519 over the receipt's canonical JSON,
 * so HQ can check them with the device's public key wherever they travel. The device keeps the
 * newest ones in `receipts.jsonl` (appended and fsynced) to hand out again in `status`.
 */
import { verify, createPublicKey } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../core/eventlog/canonical-json';
import type { Receipt, SignedReceipt } from '../core/protocol/messages';
import type { DeviceKey } from './device-key';

/** Signs a receipt with the device key. */
export function signReceipt(key: DeviceKey, receipt: Receipt): SignedReceipt {
  return {
    receipt,
    signature: key.sign(Buffer.from(canonicalJson(receipt), 'utf8')),
    publicKey: key.publicKeyBase64,
  };
}

/** Checks a receipt's signature against the public key it names. */
export function verifyReceipt(signed: SignedReceipt): boolean {
  const key = createPublicKey({ key: Buffer.from(signed.publicKey, 'base64'), format: 'der', type: 'spki' });
  return verify(
    null,
    Buffer.from(canonicalJson(signed.receipt), 'utf8'),
    key,
    Buffer.from(signed.signature, 'base64'),
  );
}

/** The receipts file of a state folder. */
export class ReceiptLog {
  readonly #path: string;

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'receipts.jsonl');
  }

  /** Appends a receipt durably. */
  append(signed: SignedReceipt): void {
    // A line torn by a crash must not swallow this one.
    const torn = lastByte(this.#path) !== undefined && lastByte(this.#path) !== 0x0a;
    appendFileSync(this.#path, `${torn ? '\n' : ''}${JSON.stringify(signed)}\n`, { mode: 0o644 });
    const fd = openSync(this.#path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The newest `count` receipts, oldest first. A torn last line (crash mid-append) is skipped. */
  latest(count: number): SignedReceipt[] {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch {
      return [];
    }
    const out: SignedReceipt[] = [];
    for (const line of text.split('\n').slice(-count - 1)) {
      try {
        if (line !== '') out.push(JSON.parse(line) as SignedReceipt);
      } catch {
        // A line cut by a crash: the receipt was never acknowledged, so dropping it is right.
      }
    }
    return out.slice(-count);
  }
}

function lastByte(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const one = Buffer.alloc(1);
    readSync(fd, one, 0, 1, size - 1);
    return one[0];
  } finally {
    closeSync(fd);
  }
}
