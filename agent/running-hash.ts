/**
 * The running SHA-256 of an upload, fed chunk by chunk as they arrive, either on the receiving thread
 * or on a worker thread of its own.
 *
 * A worker lets hashing run beside the receiving (TLS, framing, file writes) instead of in turn with
 * it, which pays where the device has cores to spare: on a small CPU without SHA instructions hashing
 * is the slowest part of taking in a target. Handing chunks to a thread is not free, though (a wake-up
 * per message, memory freed on another thread), and with two cores or fewer it cost more than it
 * saved: measured on a 2-core machine, a 1 GiB upload took 3.4–3.9 s hashing inline against 4.0–4.5 s
 * on a worker (docs/protocol.md § Benchmarks). So the worker is used from four cores up.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** A SHA-256 being computed over chunks given in order. */
export interface RunningHash {
  /** Adds bytes; the caller may reuse `chunk` afterwards. */
  update(chunk: Buffer): void;
  /**
   * Adds bytes and may take their memory (a worker moves it to its thread without a copy): no view
   * of that memory may be used afterwards.
   */
  adopt(chunk: Buffer): void;
  /** The hex digest of everything added; nothing may be added afterwards. */
  digest(): Promise<string>;
  /** Stops without a digest. */
  close(): void;
}

/** Where to hash: on a worker from four cores up (see above), else inline. */
export function hashOnWorkerByDefault(): boolean {
  return availableParallelism() >= 4;
}

/** Starts a running hash, on a worker thread or inline. */
export function startRunningHash(onWorker: boolean): RunningHash {
  return onWorker ? new HashWorker() : new InlineHash();
}

/** SHA-256 on the calling thread. */
class InlineHash implements RunningHash {
  readonly #hash = createHash('sha256');

  update(chunk: Buffer): void {
    this.#hash.update(chunk);
  }

  adopt(chunk: Buffer): void {
    this.#hash.update(chunk);
  }

  digest(): Promise<string> {
    return Promise.resolve(this.#hash.digest('hex'));
  }

  close(): void {}
}

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

/**
 * SHA-256 on its own thread. Chunks are handed over (their memory moves, no copy) in order, a few at
 * a time: each message to a thread has a fixed cost, which at 256 KiB per chunk would rival the
 * hashing.
 */
class HashWorker implements RunningHash {
  readonly #worker: Worker;
  #done: Promise<string> | null = null;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
  }

  /** Copied when the chunk shares memory with anything else; moved when it owns all of it. */
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
   * The chunk's whole ArrayBuffer moves to the worker (a received message's body, say, whose memory
   * belongs to that message alone). Small chunks, which may sit in Node's shared buffer pool, are
   * copied instead.
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

  /** The worker stops afterwards. */
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

  close(): void {
    this.#batch = [];
    void this.#worker.terminate();
  }
}
