/**
 * Reliable, ordered byte stream over a lossy serial line: selective-repeat ARQ. The sender streams up
 * to `window` frames without waiting; the receiver answers with a cumulative ACK plus a SACK bitmap of
 * the frames it holds beyond it; the sender retransmits only the frames the bitmap shows missing
 * (fast retransmit) or whose timer ran out. Never stop-and-wait. docs/protocol.md § Serial link.
 */
import { randomBytes } from 'node:crypto';
import type { AppErrorData } from '../result';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from './frame-codec';

/** Tuning of one link; the defaults suit 115200 baud and a USB CDC-ACM gadget alike. */
export interface ReliableLinkOptions {
  /** Writes framed bytes to the line. */
  readonly write: (bytes: Buffer) => void;
  /** The initiator (laptop) opens sessions; the responder (agent) accepts them. */
  readonly role: 'initiator' | 'responder';
  readonly onData: (bytes: Buffer) => void;
  /** A session is open (responder: a new SYN arrived; the previous session, if any, is gone). */
  readonly onOpen?: () => void;
  /** The session ended: retries exhausted, peer reset, or closed locally. */
  readonly onClose?: (error: AppErrorData) => void;
  /** Payload bytes per frame (default 1024). */
  readonly frameBytes?: number;
  /** Frames in flight (default 32). */
  readonly window?: number;
  /** Consecutive timeouts before the link is declared lost (default 10). */
  readonly maxRetries?: number;
  readonly initialRtoMs?: number;
  readonly minRtoMs?: number;
  readonly maxRtoMs?: number;
  /** Delay that lets one ACK cover several in-order frames (default 2 ms). */
  readonly ackDelayMs?: number;
  /**
   * The line's rate in bytes a second (115200 8N1 is 11,520), or 0 for a line as fast as the host
   * (a pty, a USB CDC-ACM gadget). On a paced line the sender keeps only a couple of frames in the
   * OS queue and times each frame from when it goes on the wire, so a window of frames queued behind
   * a slow UART never looks lost, and a retransmission jumps the queue instead of waiting behind it.
   */
  readonly lineBytesPerSec?: number;
}

/** Counters for tests and benchmarks. */
export interface ReliableLinkStats {
  framesSent: number;
  retransmits: number;
  damagedFrames: number;
  garbageBytes: number;
  acksSent: number;
}

interface Outgoing {
  readonly seq: number;
  readonly payload: Buffer;
  sentAt: number;
  /** Transmission order (a counter): what was sent before what. */
  order: number;
  retransmits: number;
  sacked: boolean;
  /** Waiting in the send queue (new or retransmission), not yet written. */
  queued: boolean;
}

const now = (): number => performance.now();

/** One end of a serial link. Feed received bytes to `receive`; send with `send`. */
export class ReliableLink {
  readonly stats: ReliableLinkStats = {
    framesSent: 0,
    retransmits: 0,
    damagedFrames: 0,
    garbageBytes: 0,
    acksSent: 0,
  };
  readonly #o: Required<Omit<ReliableLinkOptions, 'onOpen' | 'onClose'>> &
    Pick<ReliableLinkOptions, 'onOpen' | 'onClose'>;
  readonly #decoder: FrameDecoder;
  #open = false;
  #nonce: Buffer | null = null;
  #synTimer: ReturnType<typeof setTimeout> | null = null;
  #synTries = 0;
  #openWaiters: { resolve: () => void; reject: (e: AppErrorData) => void }[] = [];
  // Sender.
  #queue: Buffer[] = [];
  #queued = 0;
  #nextSeq = 0;
  #base = 0;
  #inFlight = new Map<number, Outgoing>();
  #rto: number;
  #srtt: number | null = null;
  #rttvar = 0;
  #timeouts = 0;
  #transmissions = 0;
  #rtoTimer: ReturnType<typeof setTimeout> | null = null;
  // Pacer: frames waiting for the line, retransmissions first; when the line is free again.
  #sendQueue: Outgoing[] = [];
  #lineFreeAt = 0;
  #pacerTimer: ReturnType<typeof setTimeout> | null = null;
  // Receiver.
  #expected = 0;
  #held = new Map<number, Buffer>();
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  #unacked = 0;

  constructor(options: ReliableLinkOptions) {
    this.#o = {
      frameBytes: 1024,
      window: 32,
      maxRetries: 10,
      initialRtoMs: 500,
      minRtoMs: 30,
      maxRtoMs: 4000,
      ackDelayMs: 2,
      lineBytesPerSec: 0,
      ...options,
    };
    this.#rto = this.#o.initialRtoMs;
    this.#decoder = new FrameDecoder(Math.max(this.#o.frameBytes, 64), {
      onFrame: (frame) => this.#onFrame(frame),
      onDamage: (kind, bytes) => {
        if (kind === 'garbage') this.stats.garbageBytes += bytes;
        else this.stats.damagedFrames += 1;
      },
      onOversized: () => {
        this.stats.damagedFrames += 1;
      },
    });
  }

  /** True while a session is open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Bytes accepted by `send` and not yet acknowledged by the peer. */
  get pendingBytes(): number {
    let bytes = this.#queued;
    for (const f of this.#inFlight.values()) bytes += f.payload.length;
    return bytes;
  }

  /** Initiator: opens a session (SYN, retried) and resolves once the responder answered. */
  open(): Promise<void> {
    if (this.#o.role !== 'initiator') throw new Error('only the initiator opens a link');
    this.#resetSession();
    this.#nonce = randomBytes(8);
    this.#synTries = 0;
    const promise = new Promise<void>((resolve, reject) => this.#openWaiters.push({ resolve, reject }));
    this.#sendSyn();
    return promise;
  }

  /** Feeds bytes read from the line. */
  receive(chunk: Uint8Array): void {
    this.#decoder.push(chunk);
  }

  /** Queues bytes for reliable, ordered delivery. */
  send(bytes: Uint8Array): void {
    if (!this.#open) throw new Error('link is not open');
    if (bytes.length === 0) return;
    this.#queue.push(Buffer.from(bytes));
    this.#queued += bytes.length;
    this.#pump();
  }

  /** Ends the session locally (sends RST so the peer stops too). */
  close(): void {
    if (this.#open) this.#o.write(encodeFrame(FrameType.rst, 0, Buffer.alloc(0)));
    this.#end({ code: 'link_lost', message: 'The serial link was closed.' }, false);
  }

  #sendSyn(): void {
    if (!this.#nonce) return;
    if (this.#synTries > this.#o.maxRetries) {
      this.#end(
        { code: 'link_lost', message: 'The device did not answer on the serial line. Check the cable.' },
        true,
      );
      return;
    }
    this.#synTries += 1;
    this.#o.write(encodeFrame(FrameType.syn, 0, this.#nonce));
    this.#synTimer = setTimeout(() => this.#sendSyn(), Math.min(this.#o.initialRtoMs * this.#synTries, 2000));
    this.#synTimer.unref?.();
  }

  #onFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.syn:
        if (this.#o.role !== 'responder') return;
        if (!(this.#open && this.#nonce?.equals(frame.payload))) {
          // A new SYN: the initiator restarted its side, so ours restarts as well.
          if (this.#open) this.#end({ code: 'link_lost', message: 'The laptop reopened the link.' }, false);
          this.#resetSession();
          this.#nonce = Buffer.from(frame.payload);
          this.#open = true;
          this.#o.onOpen?.();
        }
        this.#o.write(encodeFrame(FrameType.synAck, 0, frame.payload));
        return;
      case FrameType.synAck:
        if (this.#o.role !== 'initiator' || this.#open || !this.#nonce?.equals(frame.payload)) return;
        if (this.#synTimer) clearTimeout(this.#synTimer);
        this.#synTimer = null;
        this.#open = true;
        for (const w of this.#openWaiters.splice(0)) w.resolve();
        this.#o.onOpen?.();
        return;
      case FrameType.rst:
        if (this.#open) this.#end({ code: 'link_lost', message: 'The device reset the serial link.' }, false);
        return;
      case FrameType.data:
        if (!this.#open) {
          // Data from a session we do not know. On the device (it restarted), tell the laptop to
          // reopen. On a laptop still opening the line it is what the device sent the session it
          // replaced, left on the line ahead of the SYN-ACK: ignore it, since a reset would close the
          // session the device has just opened for our SYN.
          if (this.#o.role === 'responder') this.#o.write(encodeFrame(FrameType.rst, 0, Buffer.alloc(0)));
          return;
        }
        this.#onData(frame);
        return;
      case FrameType.ack:
        if (this.#open) this.#onAck(frame);
        return;
      default:
        return;
    }
  }

  #onData(frame: Frame): void {
    const { seq } = frame;
    if (seq < this.#expected || seq >= this.#expected + this.#o.window) {
      this.#ackNow();
      return;
    }
    if (!this.#held.has(seq)) this.#held.set(seq, frame.payload);
    let delivered = false;
    for (let next = this.#held.get(this.#expected); next; next = this.#held.get(this.#expected)) {
      this.#held.delete(this.#expected);
      this.#expected += 1;
      this.#unacked += 1;
      delivered = true;
      this.#o.onData(next);
      if (!this.#open) return;
    }
    if (this.#held.size > 0 || !delivered) this.#ackNow();
    else if (this.#unacked >= Math.max(1, this.#o.window >> 2)) this.#ackNow();
    else if (!this.#ackTimer) {
      this.#ackTimer = setTimeout(() => this.#ackNow(), this.#o.ackDelayMs);
      this.#ackTimer.unref?.();
    }
  }

  #ackNow(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (!this.#open) return;
    this.#unacked = 0;
    const bitmap = Buffer.alloc(Math.ceil(this.#o.window / 8));
    for (const seq of this.#held.keys()) {
      const bit = seq - this.#expected - 1;
      if (bit >= 0 && bit < this.#o.window) bitmap[bit >> 3] = (bitmap[bit >> 3] ?? 0) | (1 << (bit & 7));
    }
    this.stats.acksSent += 1;
    this.#writeControl(encodeFrame(FrameType.ack, this.#expected, bitmap));
  }

  #onAck(frame: Frame): void {
    const cum = frame.seq;
    const t = now();
    let progressed = false;
    // The line is FIFO: a frame transmitted before one the peer got, and not itself acknowledged, is lost.
    let latestDelivered = -1;
    if (cum > this.#base && cum <= this.#nextSeq) {
      let retransmitted = false;
      for (let s = this.#base; s < cum; s += 1) {
        const f = this.#inFlight.get(s);
        if (!f) continue;
        latestDelivered = Math.max(latestDelivered, f.order);
        retransmitted ||= f.retransmits > 0;
      }
      const last = this.#inFlight.get(cum - 1);
      // Karn: no RTT sample from an ACK that a retransmission may have caused.
      if (last && !retransmitted) this.#sampleRtt(Math.max(1, t - last.sentAt));
      for (let s = this.#base; s < cum; s += 1) this.#inFlight.delete(s);
      this.#base = cum;
      progressed = true;
    }
    for (let bit = 0; bit < frame.payload.length * 8; bit += 1) {
      if (((frame.payload[bit >> 3] ?? 0) & (1 << (bit & 7))) === 0) continue;
      const f = this.#inFlight.get(cum + 1 + bit);
      if (!f) continue;
      if (!f.sacked) progressed = true;
      f.sacked = true;
      latestDelivered = Math.max(latestDelivered, f.order);
    }
    if (progressed) {
      this.#timeouts = 0;
      this.#rto = this.#computedRto();
    }
    // Selective retransmit: only the frames the peer's SACK shows missing.
    for (const f of this.#inFlight.values()) {
      if (!f.sacked && !f.queued && f.order < latestDelivered) this.#enqueue(f, true);
    }
    this.#drain();
    this.#pump();
    this.#armRto();
  }

  #sampleRtt(rtt: number): void {
    if (this.#srtt === null) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
  }

  #computedRto(): number {
    if (this.#srtt === null) return this.#o.initialRtoMs;
    return Math.min(this.#o.maxRtoMs, Math.max(this.#o.minRtoMs, this.#srtt + 4 * this.#rttvar));
  }

  #pump(): void {
    while (this.#queued > 0 && this.#nextSeq - this.#base < this.#o.window) {
      const payload = this.#take(this.#o.frameBytes);
      // Not on the wire yet: no timer runs for it and no ACK can show it missing until it is sent.
      const f: Outgoing = {
        seq: this.#nextSeq,
        payload,
        sentAt: Number.POSITIVE_INFINITY,
        order: Number.POSITIVE_INFINITY,
        retransmits: 0,
        sacked: false,
        queued: false,
      };
      this.#nextSeq += 1;
      this.#inFlight.set(f.seq, f);
      this.#enqueue(f, false);
    }
    this.#drain();
    this.#armRto();
  }

  #take(max: number): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    while (size < max && this.#queue.length > 0) {
      const head = this.#queue[0] as Buffer;
      const n = Math.min(head.length, max - size);
      parts.push(head.subarray(0, n));
      size += n;
      if (n === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
    }
    this.#queued -= size;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  /** Queues a frame for the line; retransmissions go ahead of new frames. */
  #enqueue(f: Outgoing, retransmit: boolean): void {
    f.queued = true;
    if (retransmit) {
      f.retransmits += 1;
      this.stats.retransmits += 1;
      this.#sendQueue.unshift(f);
    } else this.#sendQueue.push(f);
  }

  /** Writes queued frames while the line can take them (at once on an unpaced line). */
  #drain(): void {
    if (this.#pacerTimer) clearTimeout(this.#pacerTimer);
    this.#pacerTimer = null;
    const rate = this.#o.lineBytesPerSec;
    // Keep about two frames in the OS queue: enough to never idle the line, little enough that a
    // retransmission waits at most that long.
    const leadMs = rate > 0 ? (2 * (this.#o.frameBytes + 20) * 1000) / rate : 0;
    while (this.#sendQueue.length > 0 && this.#open) {
      const t = now();
      if (rate > 0 && this.#lineFreeAt - t > leadMs) {
        this.#pacerTimer = setTimeout(() => this.#drain(), Math.max(1, this.#lineFreeAt - t - leadMs));
        this.#pacerTimer.unref?.();
        return;
      }
      const f = this.#sendQueue.shift() as Outgoing;
      f.queued = false;
      if (f.sacked || !this.#inFlight.has(f.seq)) continue;
      const bytes = encodeFrame(FrameType.data, f.seq, f.payload);
      // On a paced line the frame leaves when the line is free and takes its length in line time.
      f.sentAt = rate > 0 ? this.#lineFree(t) + (bytes.length * 1000) / rate : t;
      if (rate > 0) this.#lineFreeAt = f.sentAt;
      f.order = this.#transmissions++;
      this.stats.framesSent += 1;
      this.#o.write(bytes);
    }
    this.#armRto();
  }

  /** Writes a control frame (ACK, SYN, RST) at once, keeping the estimate of the line's queue right. */
  #writeControl(bytes: Buffer): void {
    const rate = this.#o.lineBytesPerSec;
    if (rate > 0) this.#lineFreeAt = this.#lineFree(now()) + (bytes.length * 1000) / rate;
    this.#o.write(bytes);
  }

  #lineFree(t: number): number {
    return Math.max(this.#lineFreeAt, t);
  }

  #armRto(): void {
    if (this.#rtoTimer) clearTimeout(this.#rtoTimer);
    this.#rtoTimer = null;
    if (!this.#open || this.#inFlight.size === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const f of this.#inFlight.values())
      if (!f.sacked && !f.queued && f.sentAt < oldest) oldest = f.sentAt;
    if (oldest === Number.POSITIVE_INFINITY) return;
    const delay = Math.max(1, oldest + this.#rto - now());
    this.#rtoTimer = setTimeout(() => this.#onRto(), delay);
    this.#rtoTimer.unref?.();
  }

  #onRto(): void {
    this.#rtoTimer = null;
    if (!this.#open) return;
    this.#timeouts += 1;
    if (this.#timeouts > this.#o.maxRetries) {
      this.#end(
        { code: 'link_lost', message: 'The device stopped answering on the serial line. Check the cable.' },
        true,
      );
      return;
    }
    // Like TCP: a timeout resends the oldest frame the peer has not got, not the whole window, so a
    // slow line is not flooded with copies of frames that were merely still queued.
    let oldest: Outgoing | null = null;
    for (const f of this.#inFlight.values())
      if (
        !f.sacked &&
        !f.queued &&
        f.sentAt !== Number.POSITIVE_INFINITY &&
        (oldest === null || f.sentAt < oldest.sentAt)
      )
        oldest = f;
    this.#rto = Math.min(this.#o.maxRtoMs, this.#rto * 2);
    if (oldest) this.#enqueue(oldest, true);
    this.#drain();
  }

  #resetSession(): void {
    for (const timer of [this.#rtoTimer, this.#ackTimer, this.#synTimer, this.#pacerTimer])
      if (timer) clearTimeout(timer);
    this.#rtoTimer = this.#ackTimer = this.#synTimer = this.#pacerTimer = null;
    this.#sendQueue = [];
    this.#open = false;
    this.#queue = [];
    this.#queued = 0;
    this.#nextSeq = 0;
    this.#base = 0;
    this.#inFlight = new Map();
    this.#expected = 0;
    this.#held = new Map();
    this.#unacked = 0;
    this.#timeouts = 0;
    this.#rto = this.#o.initialRtoMs;
    this.#srtt = null;
  }

  #end(error: AppErrorData, notifyWaiters: boolean): void {
    const wasOpen = this.#open;
    this.#resetSession();
    this.#nonce = null;
    for (const w of this.#openWaiters.splice(0)) w.reject(error);
    if (wasOpen || notifyWaiters) this.#o.onClose?.(error);
  }
}
