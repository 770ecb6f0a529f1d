/**
 * A serial line at a real baud rate, for `deckhand bench link`: a bridge between two socat pty pairs
 * (agent pty ⇄ bridge ⇄ laptop pty) that releases bytes no faster than the line carries them (115200
 * 8N1 is 11,520 bytes a second: 10 bits a byte), each chunk no sooner than a turnaround delay after
 * it arrived, and optionally flips one bit every N bytes. Idle time earns at most a few milliseconds
 * of credit (a UART FIFO's worth), so a late timer never lets a burst beat the line rate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSerialStream, type SerialStream } from '../../../core/node-io/serial-stream';

/** How the line behaves (each direction on its own). */
export interface PacedLineOptions {
  readonly bytesPerSec: number;
  /** Delay before a chunk starts to go out (default 2 ms). */
  readonly turnaroundMs?: number;
  /** Flip one bit of every Nth byte (0 or absent: a clean line). */
  readonly flipEvery?: number;
}

/** What passed one direction. */
export interface PacedStats {
  bytes: number;
  flips: number;
}

/** Most line time an idle line may bank, in milliseconds. */
const MAX_CREDIT_MS = 5;

/** One direction of the line: queue in, paced bytes out. */
export class PacedDirection {
  readonly stats: PacedStats = { bytes: 0, flips: 0 };
  readonly #o: Required<PacedLineOptions>;
  readonly #deliver: (bytes: Buffer) => void;
  readonly #queue: { bytes: Buffer; readyAt: number }[] = [];
  #lineFreeAt = 0;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: PacedLineOptions, deliver: (bytes: Buffer) => void) {
    this.#o = { turnaroundMs: 2, flipEvery: 0, ...options };
    this.#deliver = deliver;
  }

  /** Takes bytes written into this end of the line. */
  push(chunk: Buffer): void {
    this.#queue.push({ bytes: Buffer.from(chunk), readyAt: performance.now() + this.#o.turnaroundMs });
    this.#timer ??= setInterval(() => this.#pump(), 1);
  }

  /** Stops the timer; bytes still queued are dropped. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#queue.length = 0;
  }

  #pump(): void {
    const now = performance.now();
    this.#lineFreeAt = Math.max(this.#lineFreeAt, now - MAX_CREDIT_MS);
    let budget = Math.floor(((now - this.#lineFreeAt) * this.#o.bytesPerSec) / 1000);
    const out: Buffer[] = [];
    while (budget > 0 && this.#queue.length > 0 && this.#queue[0]!.readyAt <= now) {
      const head = this.#queue[0]!;
      const take = Math.min(budget, head.bytes.length);
      out.push(head.bytes.subarray(0, take));
      if (take === head.bytes.length) this.#queue.shift();
      else head.bytes = head.bytes.subarray(take);
      budget -= take;
      this.#lineFreeAt += (take * 1000) / this.#o.bytesPerSec;
    }
    if (out.length > 0) this.#deliver(this.#damage(Buffer.concat(out)));
    if (this.#queue.length === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #damage(bytes: Buffer): Buffer {
    const every = this.#o.flipEvery;
    for (let i = 0; i < bytes.length; i += 1) {
      this.stats.bytes += 1;
      if (every > 0 && this.stats.bytes % every === 0) {
        bytes[i]! ^= 1 << (this.stats.flips % 8);
        this.stats.flips += 1;
      }
    }
    return bytes;
  }
}

/** A running bridge between two pty ends. */
export interface PacedBridge {
  readonly stats: { readonly forward: PacedStats; readonly backward: PacedStats };
  close(): void;
}

/** Bridges `left` and `right` (pty paths): forward is left → right, backward right → left. */
export function bridgePaced(left: string, right: string, options: PacedLineOptions): PacedBridge {
  let l: SerialStream | null = null;
  let r: SerialStream | null = null;
  const forward = new PacedDirection(options, (bytes) => r?.write(bytes));
  const backward = new PacedDirection(options, (bytes) => l?.write(bytes));
  l = openSerialStream(
    left,
    (chunk) => forward.push(chunk),
    () => undefined,
  );
  r = openSerialStream(
    right,
    (chunk) => backward.push(chunk),
    () => undefined,
  );
  return {
    stats: { forward: forward.stats, backward: backward.stats },
    close: () => {
      forward.close();
      backward.close();
      l?.close();
      r?.close();
    },
  };
}

/** A socat pty pair: two paths wired back to back. */
export interface PtyPair {
  readonly a: string;
  readonly b: string;
  close(): void;
}

/** Starts `socat -d -d pty,raw,echo=0 pty,raw,echo=0` and waits for both paths. */
export async function openPtyPair(): Promise<PtyPair> {
  const child: ChildProcess = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const paths: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socat did not create its ptys')), 5000);
    let text = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (const m of text.matchAll(/PTY is (\S+)/g)) if (!paths.includes(m[1]!)) paths.push(m[1]!);
      if (paths.length === 2 && text.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', reject);
  });
  return { a: paths[0]!, b: paths[1]!, close: () => child.kill('SIGTERM') };
}
