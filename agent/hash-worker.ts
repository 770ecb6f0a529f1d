/**
 * SHA-256 on a worker thread, so an upload's hashing runs beside the receiving (TLS, framing, file
 * writes) instead of in turn with it: on a small device CPU without SHA instructions, hashing is the
 * slowest part of taking in a target. Chunks are handed over (their memory moves, no copy) in order,
 * a few at a time: each message to a thread has a fixed cost, which at 256 KiB per chunk would
 * rival the hashing.
 */
import { Worker } from 'node:worker_threads';

// Plain JavaScript evaluated in the worker: no loader or build step is involved.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === 'digest') parentPort.postMessage(hash.digest('hex'));
  else for (const view of message) hash.update(new Uint8Array(view.buffer, view.offset, view.length));
});
`;

/** Bytes handed to the worker per message. */
const BATCH_BYTES = 1024 * 1024;

/** A running SHA-256 on its own thread. */
export class HashWorker {
  readonly #worker: Worker;
  #done: Promise<string> | null = null;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
  }

  /** Adds bytes (copied when they share memory with anything else; moved when they own all of it). */
  update(chunk: Buffer): void {
    if (
      chunk.byteOffset === 0 &&
      chunk.byteLength === chunk.buffer.byteLength &&
      !(chunk.buffer instanceof SharedArrayBuffer)
    ) {
      this.#move(chunk);
    } else {
      const copy = new Uint8Array(chunk.byteLength);
      copy.set(chunk);
      this.#move(copy);
    }
  }

  /**
   * Adds bytes and takes their memory without a copy: the chunk's whole ArrayBuffer moves to the
   * worker, so no view of that memory may be used afterwards (a received message's body, say, whose
   * memory belongs to that message alone). Small chunks, which may sit in Node's shared buffer pool,
   * are copied instead.
   */
  adopt(chunk: Buffer): void {
    if (chunk.byteLength <= Buffer.poolSize || chunk.buffer instanceof SharedArrayBuffer) this.update(chunk);
    else this.#move(chunk);
  }

  #move(view: Uint8Array): void {
    this.#batch.push(view);
    this.#batchBytes += view.byteLength;
    if (this.#batchBytes >= BATCH_BYTES) this.#flush();
  }

  #flush(): void {
    if (this.#batch.length === 0) return;
    const views = this.#batch.map(({ buffer, byteOffset: offset, byteLength: length }) => ({
      buffer,
      offset,
      length,
    }));
    this.#worker.postMessage(
      views,
      views.map((view) => view.buffer as ArrayBuffer),
    );
    this.#batch = [];
    this.#batchBytes = 0;
  }

  /** The hex digest of everything added; the worker stops afterwards. */
  digest(): Promise<string> {
    this.#done ??= new Promise<string>((resolve, reject) => {
      this.#worker.once('message', (hex: string) => {
        resolve(hex);
        void this.#worker.terminate();
      });
      this.#worker.once('error', reject);
      this.#flush();
      this.#worker.postMessage('digest');
    });
    return this.#done;
  }

  /** Stops the worker without a digest. */
  close(): void {
    this.#batch = [];
    void this.#worker.terminate();
  }
}
