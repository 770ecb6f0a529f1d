/**
 * The laptop's side of the Deckhand device protocol: typed verbs over one message session, and
 * uploads that keep a window of chunks in flight (never stop-and-wait) and report ProgressRecords.
 * How the session reaches the device (TLS or serial) is agent-connection.ts's business.
 */
import { open } from 'node:fs/promises';
import type { MetadataSet, VerbInput, VerbResults } from '../../../core/protocol/messages';
import { MAX_BODY_BYTES } from '../../../core/protocol/message-codec';
import { unwrap, type RpcPeer } from '../../../core/protocol/rpc-peer';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';

/** Upload tuning. */
export interface UploadOptions {
  readonly sha256: string;
  readonly length: number;
  /** Bytes per data message (default from uploadPlan; at most 256 KiB, the protocol's bound). */
  readonly chunkBytes?: number;
  /** Data messages in flight (default from uploadPlan). */
  readonly window?: number;
  readonly meter?: ProgressMeter;
}

/** How an upload is cut up and how long each chunk may take to be answered. */
export interface UploadPlan {
  readonly chunkBytes: number;
  readonly window: number;
  /** Per data message, counted from when it is queued: it may wait behind the whole window. */
  readonly timeoutMs: number;
}

/** Answer time allowed on top of the line time (the device writes, flushes, and may be slow). */
const ANSWER_MS = 120_000;

/**
 * The upload plan for a link: on a fast stream (TLS, an unpaced serial gadget) 8 chunks of 256 KiB;
 * on a slow serial line (`lineBytesPerSec`, e.g. 11,520 B/s at 115200 8N1) 2 chunks of 64 KiB, which
 * keep the line streaming (the reliable link below has its own window) with 0.2 % message overhead,
 * and a timeout that allows for the line time of everything queued ahead of a chunk.
 */
export function uploadPlan(
  lineBytesPerSec: number | null,
  options: Pick<UploadOptions, 'chunkBytes' | 'window'> = {},
): UploadPlan {
  const slow = lineBytesPerSec !== null;
  const chunkBytes = Math.min(options.chunkBytes ?? (slow ? 64 * 1024 : MAX_BODY_BYTES), MAX_BODY_BYTES);
  const window = options.window ?? (slow ? 2 : 8);
  const lineMs = slow ? ((window * chunkBytes) / lineBytesPerSec) * 1000 : 0;
  return { chunkBytes, window, timeoutMs: ANSWER_MS + 2 * lineMs };
}

/** A connected, greeted agent. */
export class AgentClient {
  readonly #peer: RpcPeer;
  readonly #transportClose: () => void;
  /** What the agent said in hello. */
  readonly hello: VerbResults['hello'];
  /** The TLS fingerprint seen, or null on serial. */
  readonly fingerprint: string | null;
  /** The line rate of a paced serial link, or null on a fast stream. */
  readonly lineBytesPerSec: number | null;

  constructor(
    peer: RpcPeer,
    hello: VerbResults['hello'],
    fingerprint: string | null,
    close: () => void,
    lineBytesPerSec: number | null = null,
  ) {
    this.#peer = peer;
    this.hello = hello;
    this.fingerprint = fingerprint;
    this.#transportClose = close;
    this.lineBytesPerSec = lineBytesPerSec;
  }

  /** The message session (tests send malformed traffic through it). */
  get peer(): RpcPeer {
    return this.#peer;
  }

  /** Identity: hardware, serial number, device key, agent version, free space. */
  async identify(): Promise<VerbResults['identify']> {
    return unwrap(await this.#peer.request('identify', {}));
  }

  /** Slots, versions, pending/confirmed, health, free space, counter, receipts. */
  async status(): Promise<VerbResults['status']> {
    return unwrap(await this.#peer.request('status', {}));
  }

  /** Asks the device to check a target against HQ's metadata and the stored bytes. */
  async verify(target: string, metadata: MetadataSet): Promise<VerbResults['verify']> {
    return unwrap(await this.#peer.request('verify', { target, metadata }, { timeoutMs: 300_000 }));
  }

  /** Installs an uploaded target into the inactive slot (or the models folder). */
  async install(target: string, metadata: MetadataSet): Promise<VerbResults['install']> {
    return unwrap(await this.#peer.request('install', { target, metadata }, { timeoutMs: 600_000 }));
  }

  /** Marks the installed slot to test at the next boot. */
  async activate(): Promise<VerbResults['activate']> {
    return unwrap(await this.#peer.request('activate', {}));
  }

  /** Reboots (the simulator applies its boot logic in-process). */
  async reboot(): Promise<VerbResults['reboot']> {
    return unwrap(await this.#peer.request('reboot', {}, { timeoutMs: 120_000 }));
  }

  /** Runs the device's health check (of the booted release, or of one model). */
  async health(model?: string): Promise<VerbResults['health']> {
    return unwrap(
      await this.#peer.request('health', model === undefined ? {} : { model }, { timeoutMs: 120_000 }),
    );
  }

  /** Confirms the slot on trial. */
  async commit(): Promise<VerbResults['commit']> {
    return unwrap(await this.#peer.request('commit', {}));
  }

  /** Abandons the trial and returns to the confirmed slot (or puts back the model `model` replaced). */
  async rollback(model?: string): Promise<VerbResults['rollback']> {
    return unwrap(await this.#peer.request('rollback', model === undefined ? {} : { model }));
  }

  /** The tail of the agent's log. */
  async logs(lines = 100): Promise<VerbResults['logs']> {
    return unwrap(await this.#peer.request('logs', { lines }));
  }

  /** On-device diagnostics: info, start, poll, stop, samples (core/protocol/messages.ts). */
  async diagnostics(params: VerbInput<'diagnostics'>): Promise<VerbResults['diagnostics']> {
    return unwrap(await this.#peer.request('diagnostics', params));
  }

  /** Sends any verb (for callers that pass through, like tests). */
  async call<V extends keyof VerbResults & string>(verb: V, params: VerbInput<V>): Promise<VerbResults[V]> {
    return unwrap(await this.#peer.request(verb, params));
  }

  /**
   * Uploads a file, resuming from the offset the device already holds. Keeps `window` chunks in
   * flight; each answer carries the device's offset. Throws a coded error (link_lost, …) on failure;
   * uploadWithResume (agent-connection.ts) reconnects and calls this again.
   */
  async upload(path: string, options: UploadOptions): Promise<VerbResults['upload.end']> {
    const { chunkBytes, window, timeoutMs } = uploadPlan(this.lineBytesPerSec, options);
    const begun = unwrap(
      await this.#peer.request('upload.begin', { sha256: options.sha256, length: options.length }),
    );
    const meter = options.meter;
    if (meter && meter.bytes < begun.offset) meter.advance(begun.offset - meter.bytes);
    if (!begun.complete) {
      const file = await open(path, 'r');
      try {
        let next = begun.offset;
        const inFlight: Promise<unknown>[] = [];
        // One buffer per chunk in flight, reused once the device has answered for it (no garbage
        // per chunk: at hundreds of MiB/s, collecting it costs as much as encrypting).
        const spare = Array.from({ length: window }, () => Buffer.allocUnsafeSlow(chunkBytes));
        let failure: unknown = null;
        while ((next < options.length || inFlight.length > 0) && failure === null) {
          while (next < options.length && inFlight.length < window) {
            const size = Math.min(chunkBytes, options.length - next);
            const buffer = spare.pop()!;
            const body = buffer.subarray(0, size);
            const { bytesRead } = await file.read(body, 0, size, next);
            if (bytesRead !== size)
              throw new DeckhandError('truncated', `${path} changed while it was uploaded.`);
            const sent = this.#peer
              .request('upload.data', { sha256: options.sha256, offset: next }, { body, timeoutMs })
              .then((result) => {
                unwrap(result);
                meter?.advance(size);
                spare.push(buffer);
              })
              .catch((error: unknown) => {
                failure ??= error;
              });
            inFlight.push(sent);
            next += size;
          }
          await inFlight.shift();
        }
        await Promise.all(inFlight);
        if (failure !== null) throw failure;
      } finally {
        await file.close();
      }
    }
    return unwrap(await this.#peer.request('upload.end', { sha256: options.sha256 }, { timeoutMs: 600_000 }));
  }

  /** Closes the session and its transport. */
  close(): void {
    this.#peer.close({ code: 'cancelled', message: 'The laptop closed the connection.' });
    this.#transportClose();
  }
}
