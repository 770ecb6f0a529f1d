/**
 * SHA-256 on a worker thread, so an upload's hashing runs beside the receiving (TLS, framing, file
 * writes) instead of in turn with it: on a small device CPU without SHA instructions, hashing is the
 * slowest part of taking in a target. Chunks are handed over (their memory moves, no copy) in order.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated in the worker: no loader or build step is involved.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === 'digest') parentPort.postMessage(hash.digest('hex'));
  else hash.update(new Uint8Array(message));
});
`;

/** A running SHA-256 on its own thread. */
export class HashWorker {
  readonly #worker: Worker;
  #done: Promise<string> | null = null;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
  }

  /** Adds bytes. The buffer must not be used afterwards when it owns its whole memory (it moves). */
  update(chunk: Buffer): void {
    if (
      chunk.byteOffset === 0 &&
      chunk.byteLength === chunk.buffer.byteLength &&
      !(chunk.buffer instanceof SharedArrayBuffer)
    ) {
      this.#worker.postMessage(chunk.buffer, [chunk.buffer]);
    } else {
      const copy = new Uint8Array(chunk.byteLength);
      copy.set(chunk);
      this.#worker.postMessage(copy.buffer, [copy.buffer]);
    }
  }

  /** The hex digest of everything added; the worker stops afterwards. */
  digest(): Promise<string> {
    this.#done ??= new Promise<string>((resolve, reject) => {
      this.#worker.once('message', (hex: string) => {
        resolve(hex);
        void this.#worker.terminate();
      });
      this.#worker.once('error', reject);
      this.#worker.postMessage('digest');
    });
    return this.#done;
  }

  /** Stops the worker without a digest. */
  close(): void {
    void this.#worker.terminate();
  }
}
