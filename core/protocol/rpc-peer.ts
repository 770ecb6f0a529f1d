/**
 * The message layer over any reliable byte stream (TLS, or the serial ReliableLink): message frames
 * with per-direction sequence numbers, request/response correlation, pipelined requests (the caller
 * keeps several in flight; that is the upload window), heartbeats, idle and request timeouts, and
 * coded errors. The same class runs on both ends; the agent passes a handler.
 */
import { DeckhandError, toErrorData, type AppErrorData, type Result } from '../result';
import { encodeFrame, encodeFrameParts, FrameDecoder, FrameFlag, FrameType } from './frame-codec';
import { decodeMessage, encodeMessageParts, MAX_MESSAGE_BYTES } from './message-codec';
import { envelope, type Verb, type VerbInput, type VerbResults } from './messages';

/**
 * Serves one request; the peer turns a thrown DeckhandError into a coded response. The body's memory
 * belongs to this message alone (the frame decoder gives each payload a buffer of its own), so the
 * handler may keep it or hand it on without a copy.
 */
export type RequestHandler = (verb: string, params: unknown, body: Buffer) => Promise<unknown>;

export interface RpcPeerOptions {
  /** Writes bytes to the stream. */
  readonly write: (bytes: Buffer) => void;
  /**
   * Writes several buffers as one (a socket's cork/uncork). When given, message bodies reach the
   * stream without being copied into a frame first; else the parts are joined and passed to `write`.
   */
  readonly writev?: (parts: readonly Uint8Array[]) => void;
  /** Closes the stream underneath (called once, when the peer closes). */
  readonly closeTransport: () => void;
  /** Present on the serving side. Requests are served one at a time, in order; ping is answered at once. */
  readonly handler?: RequestHandler;
  readonly onClose?: (error: AppErrorData) => void;
  /** Sends a ping after this long without sending (0: never; default 0). */
  readonly heartbeatMs?: number;
  /** Closes with `timeout` after this long without receiving anything (0: never; default 0). */
  readonly idleTimeoutMs?: number;
  /** Default time a request may take (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Largest message frame accepted (default MAX_MESSAGE_BYTES). */
  readonly maxMessageBytes?: number;
}

/** Options of one request. */
export interface RequestOptions {
  readonly body?: Uint8Array;
  readonly timeoutMs?: number;
}

interface Pending {
  readonly resolve: (result: Result<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** One end of a message session. */
export class RpcPeer {
  readonly #o: RpcPeerOptions;
  readonly #decoder: FrameDecoder;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #sendSeq = 0;
  #recvSeq = 0;
  #closed: AppErrorData | null = null;
  #sendFlags = 0;
  #serving: Promise<void> = Promise.resolve();
  #lastSent = performance.now();
  #lastReceived = performance.now();
  #tick: ReturnType<typeof setInterval> | null = null;

  constructor(options: RpcPeerOptions) {
    this.#o = options;
    this.#decoder = new FrameDecoder(options.maxMessageBytes ?? MAX_MESSAGE_BYTES, {
      onFrame: (frame) => {
        if (frame.type !== FrameType.message) {
          this.#fatal('protocol_error', `Unexpected frame type ${frame.type} on a message stream.`);
        } else if (frame.seq !== this.#recvSeq) {
          this.#fatal(
            'protocol_error',
            `Message ${frame.seq} arrived out of order (expected ${this.#recvSeq}).`,
          );
        } else {
          this.#recvSeq += 1;
          this.#onMessage(frame.payload);
        }
      },
      onOversized: (announced) =>
        this.#fatal('message_too_large', `A message of ${announced} bytes exceeds the protocol's bound.`),
      // The stream below guarantees integrity, so a frame without its payload CRC loses nothing.
      acceptNoPayloadCrc: true,
      onDamage: (kind, bytes) => {
        // The stream below is reliable, so damage means a broken or hostile peer, not noise.
        this.#fatal('protocol_error', `The byte stream is corrupt (${kind}, ${bytes} bytes).`);
      },
    });
    const heartbeat = options.heartbeatMs ?? 0;
    const idle = options.idleTimeoutMs ?? 0;
    if (heartbeat > 0 || idle > 0) {
      const every = Math.max(50, Math.min(heartbeat || idle, idle || heartbeat) / 4);
      this.#tick = setInterval(() => this.#onTick(heartbeat, idle), every);
      this.#tick.unref?.();
    }
  }

  /** The error that closed the session, or null while open. */
  get closedWith(): AppErrorData | null {
    return this.#closed;
  }

  /** Requests awaiting a response. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * From now on, sends message frames without their payload CRC (the stream below already
   * guarantees integrity, and the CRC costs as much CPU as the encryption). Only once the other side
   * has said it takes them: protocol version 2 (PAYLOAD_CRC_OPTIONAL_SINCE) or later.
   */
  omitPayloadCrc(): void {
    this.#sendFlags |= FrameFlag.noPayloadCrc;
  }

  /** Feeds bytes read from the stream. */
  receive(chunk: Uint8Array): void {
    this.#lastReceived = performance.now();
    this.#decoder.push(chunk);
  }

  /** Sends a request and resolves with its coded result (never rejects). */
  request<V extends Verb>(
    verb: V,
    params: VerbInput<V>,
    options: RequestOptions = {},
  ): Promise<Result<VerbResults[V]>> {
    return this.requestRaw(verb, params, options) as Promise<Result<VerbResults[V]>>;
  }

  /** Sends any request, valid or not (tests use it to send what a broken laptop would). */
  requestRaw(verb: string, params: unknown, options: RequestOptions = {}): Promise<Result<unknown>> {
    if (this.#closed) return Promise.resolve({ ok: false, error: this.#closed });
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 2 ** 32 - 1 ? 1 : this.#nextId + 1;
    return new Promise((resolve) => {
      const timeoutMs = options.timeoutMs ?? this.#o.requestTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve({
          ok: false,
          error: {
            code: 'timeout',
            message: `The device did not answer "${verb}" within ${timeoutMs / 1000} s.`,
          },
        });
      }, timeoutMs);
      timer.unref?.();
      this.#pending.set(id, { resolve, timer });
      try {
        this.#send({ t: 'req', id, verb, params }, options.body);
      } catch (thrown) {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve({ ok: false, error: toErrorData(thrown) });
      }
    });
  }

  /** Sends a raw, already framed message payload (tests: malformed messages). */
  sendPayload(payload: Buffer): void {
    this.#write(encodeFrame(FrameType.message, this.#sendSeq++, payload));
  }

  /** Closes the session; pending requests resolve with `error`. */
  close(error: AppErrorData = { code: 'link_lost', message: 'The connection was closed.' }): void {
    if (this.#closed) return;
    this.#closed = error;
    if (this.#tick) clearInterval(this.#tick);
    this.#decoder.close();
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(id);
      p.resolve({ ok: false, error });
    }
    this.#o.closeTransport();
    this.#o.onClose?.(error);
  }

  #onMessage(payload: Buffer): void {
    let raw;
    try {
      raw = decodeMessage(payload);
    } catch (thrown) {
      this.#respondError(0, toErrorData(thrown));
      return;
    }
    const parsed = envelope.safeParse(raw.json);
    if (!parsed.success) {
      this.#respondError(0, {
        code: 'protocol_error',
        message: 'A message did not have the protocol shape.',
      });
      return;
    }
    const message = parsed.data;
    if (message.t === 'res') {
      const pending = this.#pending.get(message.id);
      if (!pending) return; // A late answer to a request that already timed out.
      clearTimeout(pending.timer);
      this.#pending.delete(message.id);
      pending.resolve(message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error });
      return;
    }
    const { id, verb, params } = message;
    if (verb === 'ping') {
      this.#respond(id, { ok: true, value: {} });
      return;
    }
    const handler = this.#o.handler;
    if (!handler) {
      this.#respondError(id, { code: 'unknown_verb', message: 'This side does not serve requests.' });
      return;
    }
    this.#serving = this.#serving.then(async () => {
      if (this.#closed) return;
      try {
        const value = await handler(verb, params, raw.body);
        this.#respond(id, { ok: true, value });
      } catch (thrown) {
        this.#respondError(id, toErrorData(thrown));
      }
    });
  }

  #respondError(id: number, error: AppErrorData): void {
    this.#respond(id, { ok: false, error });
  }

  #respond(id: number, result: Result<unknown>): void {
    if (this.#closed) return;
    try {
      this.#send(
        result.ok
          ? { t: 'res', id, ok: true, value: result.value }
          : { t: 'res', id, ok: false, error: result.error },
      );
    } catch (thrown) {
      this.#send({ t: 'res', id, ok: false, error: toErrorData(thrown) });
    }
  }

  #send(envelopeValue: unknown, body?: Uint8Array): void {
    const parts = encodeFrameParts(
      FrameType.message,
      this.#sendSeq++,
      encodeMessageParts(envelopeValue, body),
      this.#sendFlags,
    );
    if (this.#closed) return;
    if (this.#o.writev) {
      this.#lastSent = performance.now();
      this.#o.writev(parts);
    } else this.#write(Buffer.concat(parts));
  }

  #write(bytes: Buffer): void {
    if (this.#closed) return;
    this.#lastSent = performance.now();
    this.#o.write(bytes);
  }

  /** Tells the peer why (best effort) and closes: the stream cannot be trusted past this point. */
  #fatal(code: 'protocol_error' | 'message_too_large', message: string): void {
    if (this.#closed) return;
    this.#respondError(0, { code, message });
    this.close({ code, message });
  }

  #onTick(heartbeatMs: number, idleMs: number): void {
    if (this.#closed) return;
    const t = performance.now();
    if (idleMs > 0 && t - this.#lastReceived > idleMs) {
      this.close({
        code: 'timeout',
        message: 'The other side stopped answering; the connection was closed.',
      });
      return;
    }
    if (heartbeatMs > 0 && t - this.#lastSent >= heartbeatMs) {
      void this.requestRaw('ping', {}, { timeoutMs: Math.max(idleMs, heartbeatMs * 3) });
    }
  }
}

/** Throws the error of a failed result; returns the value of a successful one. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new DeckhandError(result.error.code, result.error.message, result.error.details);
}
