/**
 * The one progress shape for long work (imports, deploys, syncs) and the meter that produces it:
 * speed over a sliding window, ETA from that speed, and at most one record per interval (4 a second
 * by default) so the UI is never flooded. Step changes and the final record are always emitted.
 */

/** One progress update, rendered the same way everywhere. */
export interface ProgressRecord {
  /** Which job this belongs to (an import, a deploy run, a sync). */
  readonly jobId: string;
  /** Device the record is about, when the job spans devices. */
  readonly device?: string;
  readonly step: string;
  /** 0–100, or null while the total is unknown. */
  readonly percent: number | null;
  readonly bytes: number;
  readonly bytesPerSec: number;
  /** Seconds left, or null while unknown. */
  readonly etaSec: number | null;
}

export interface ProgressMeterOptions {
  readonly jobId: string;
  readonly device?: string;
  /** Total bytes of the work, or null when unknown. */
  readonly totalBytes: number | null;
  readonly emit: (record: ProgressRecord) => void;
  /** Minimum milliseconds between records (default 250: 4 a second). */
  readonly minIntervalMs?: number;
  /** Window over which speed is measured (default 2000 ms). */
  readonly windowMs?: number;
  readonly now?: () => number;
}

/** Tracks bytes done and emits throttled progress records. */
export class ProgressMeter {
  readonly #options: ProgressMeterOptions;
  readonly #now: () => number;
  readonly #samples: { at: number; bytes: number }[] = [];
  #step = 'starting';
  #bytes = 0;
  #lastEmit = Number.NEGATIVE_INFINITY;

  constructor(options: ProgressMeterOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#samples.push({ at: this.#now(), bytes: 0 });
  }

  /** Bytes done so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Enters a new step; always emitted. */
  step(name: string): void {
    this.#step = name;
    this.#emit(true);
  }

  /** Adds bytes done; emitted when the interval has passed. */
  advance(bytes: number): void {
    this.#bytes += bytes;
    this.#emit(false);
  }

  /** Emits the final record for the current step (percent 100 when the total is known). */
  finish(step = this.#step): void {
    this.#step = step;
    this.#emit(true);
  }

  /** The record as of now, without emitting it. */
  snapshot(): ProgressRecord {
    const now = this.#now();
    const windowMs = this.#options.windowMs ?? 2000;
    while (this.#samples.length > 1 && now - (this.#samples[1]?.at ?? now) > windowMs) this.#samples.shift();
    this.#samples.push({ at: now, bytes: this.#bytes });
    const oldest = this.#samples[0] ?? { at: now, bytes: this.#bytes };
    const elapsedSec = (now - oldest.at) / 1000;
    const bytesPerSec = elapsedSec > 0 ? Math.max(0, (this.#bytes - oldest.bytes) / elapsedSec) : 0;
    const total = this.#options.totalBytes;
    const remaining = total === null ? null : Math.max(0, total - this.#bytes);
    return {
      jobId: this.#options.jobId,
      ...(this.#options.device === undefined ? {} : { device: this.#options.device }),
      step: this.#step,
      percent: total === null ? null : total === 0 ? 100 : Math.min(100, (this.#bytes / total) * 100),
      bytes: this.#bytes,
      bytesPerSec,
      etaSec:
        remaining === null ? null : remaining === 0 ? 0 : bytesPerSec > 0 ? remaining / bytesPerSec : null,
    };
  }

  #emit(force: boolean): void {
    const now = this.#now();
    if (!force && now - this.#lastEmit < (this.#options.minIntervalMs ?? 250)) return;
    this.#lastEmit = now;
    this.#options.emit(this.snapshot());
  }
}
