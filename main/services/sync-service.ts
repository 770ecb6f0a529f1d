/**
 * Later sync to HQ. The outbox is the log after the last receipt. A sync asks HQ where it stands
 * (a signed receipt), checks that receipt against the local log, then uploads batches, each with a
 * checkpoint signed at its last event, and keeps every receipt. Network failures are retried with
 * exponential backoff and full jitter; a batch HQ already holds is answered with a receipt, never
 * stored twice, so a cut at any moment resumes where HQ's receipt says.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DeckhandError } from '../../core/result';
import { dhlogCheckpointLine, dhlogEventLine, dhlogHeaderLine } from '../../core/sync/dhlog';
import { ProgressMeter } from '../../core/progress/progress-meter';
import {
  signCheckpoint,
  verifyReceipt,
  type SignedCheckpoint,
  type SignedReceipt,
} from '../../core/sync/checkpoint';
import { GENESIS_HASH } from '../../core/eventlog/chain';
import { signValue } from '../../core/sync/signing';
import type { BatchRequest, EnrolRequest, EnrolResponse, HqIdentity } from '../../core/sync/wire';
import type { EventLogStore } from '../db/event-log-store';
import { wireSizeOf, type Enrolment, type SyncStore } from '../db/sync-store';
import type { VerbOutput } from '../ipc/contract';
import type { EventBus } from './event-bus';
import type { TechnicianKey } from './technician-key';

/** What HQ shows on first contact: its identity and the certificate to pin. */
export interface HqFirstContact {
  readonly identity: HqIdentity;
  readonly certPem: string;
  /** SHA-256 of the certificate, `AB:CD:…`. */
  readonly fingerprint: string;
}

/** The HQ API as the sync service uses it (main/adapters/hq-client.ts speaks HTTPS). */
export interface HqClient {
  firstContact(signal?: AbortSignal): Promise<HqFirstContact>;
  enrol(request: EnrolRequest, signal?: AbortSignal): Promise<EnrolResponse>;
  receipt(technician: string, signal?: AbortSignal): Promise<SignedReceipt>;
  postBatch(batch: BatchRequest, signal?: AbortSignal): Promise<SignedReceipt>;
  close(): void;
}

/** Builds a client for an HQ address; `certPem` null means first contact (nothing pinned yet). */
export type HqClientFactory = (target: { readonly url: string; readonly certPem: string | null }) => HqClient;

/** Retry and batching policy. */
export interface SyncPolicy {
  readonly batchSize: number;
  /** Attempts per request before the sync gives up with `hq_unreachable`. */
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/** The default policy: 2,000 events a batch; 8 attempts, 250 ms doubling to at most 8 s. */
export const DEFAULT_SYNC_POLICY: SyncPolicy = {
  batchSize: 2000,
  maxAttempts: 8,
  backoffBaseMs: 250,
  backoffMaxMs: 8000,
};

/** The progress job id of a sync. */
export const SYNC_JOB_ID = 'sync';

/** What a sync did. */
export interface SyncOutcome {
  /** Events HQ acknowledged in this run. */
  readonly sent: number;
  readonly receipt: SignedReceipt;
  readonly batches: number;
}

export interface SyncServiceDeps {
  readonly log: EventLogStore;
  readonly store: SyncStore;
  readonly key: TechnicianKey;
  readonly events: EventBus;
  readonly clientFactory: HqClientFactory;
  readonly policy?: Partial<SyncPolicy>;
  readonly clock?: () => Date;
  readonly random?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Enrolment, checkpoints, export support and sync. */
export class SyncService {
  readonly #deps: SyncServiceDeps;
  readonly #policy: SyncPolicy;
  #running: AbortController | null = null;
  #lastError: { readonly code: string; readonly message: string } | null = null;

  constructor(deps: SyncServiceDeps) {
    this.#deps = deps;
    this.#policy = { ...DEFAULT_SYNC_POLICY, ...deps.policy };
  }

  /** Enrols this laptop's key with an HQ, pinning its certificate (checked against `fingerprint` if given). */
  async enrol(input: {
    readonly hqUrl: string;
    readonly technicianName: string;
    readonly fingerprint?: string | undefined;
    readonly token?: string | undefined;
  }): Promise<VerbOutput<'sync.enrol'>> {
    const key = this.#deps.key.ensure();
    const privateKey = this.#deps.key.privateKey();
    const probe = this.#deps.clientFactory({ url: input.hqUrl, certPem: null });
    let contact: HqFirstContact;
    try {
      contact = await probe.firstContact();
    } finally {
      probe.close();
    }
    if (input.fingerprint !== undefined && normalise(input.fingerprint) !== normalise(contact.fingerprint)) {
      throw new DeckhandError(
        'hq_untrusted',
        `The server's certificate fingerprint is ${contact.fingerprint}, not the ${input.fingerprint} you were given. Nothing was sent. Check with HQ before enrolling.`,
      );
    }
    const client = this.#deps.clientFactory({ url: input.hqUrl, certPem: contact.certPem });
    try {
      const claim = {
        publicKey: key.publicKey,
        technicianName: input.technicianName,
        laptopId: key.laptopId,
        time: this.#now(),
      };
      const response = await client.enrol({
        claim,
        signature: signValue(privateKey, 'deckhand.enrolment.v1', claim),
        ...(input.token ? { token: input.token } : {}),
      });
      if (response.technician !== key.keyId || response.hq.keyId !== contact.identity.keyId) {
        throw new DeckhandError(
          'hq_untrusted',
          'HQ answered the enrolment for another key. Nothing was changed.',
        );
      }
      this.#deps.store.saveEnrolment({
        hqUrl: input.hqUrl,
        hqName: contact.identity.name,
        hqKeyId: contact.identity.keyId,
        hqPublicKey: contact.identity.publicKey,
        certPem: contact.certPem,
        certFingerprint: contact.fingerprint,
        technicianKey: key.keyId,
        technicianName: input.technicianName,
        enrolledAt: this.#now(),
      });
    } finally {
      client.close();
    }
    return this.status();
  }

  /** Sync state for the Sync screen; with `probe`, also asks HQ whether it is reachable. */
  async status(options: { readonly probe?: boolean } = {}): Promise<VerbOutput<'sync.status'>> {
    const enrolment = this.#deps.store.enrolment();
    const key = this.#deps.key.info();
    const last = this.#deps.store.lastReceipt();
    const logSize = this.#deps.log.head()?.seq ?? 0;
    let reachable: boolean | null = null;
    if (options.probe && enrolment !== null && this.#running === null) {
      const client = this.#deps.clientFactory({ url: enrolment.hqUrl, certPem: enrolment.certPem });
      try {
        await client.receipt(enrolment.technicianKey, AbortSignal.timeout(3000));
        reachable = true;
      } catch (error) {
        reachable = !(
          error instanceof DeckhandError &&
          (error.code === 'hq_unreachable' || error.code === 'hq_untrusted' || error.code === 'cancelled')
        );
      } finally {
        client.close();
      }
    }
    return {
      enrolled: enrolment !== null,
      technician:
        key === null
          ? null
          : { keyId: key.keyId, laptopId: key.laptopId, name: enrolment?.technicianName ?? null },
      hq:
        enrolment === null
          ? null
          : {
              url: enrolment.hqUrl,
              name: enrolment.hqName,
              keyId: enrolment.hqKeyId,
              fingerprint: enrolment.certFingerprint,
            },
      reachable,
      logSize,
      pending: Math.max(0, logSize - (last?.receipt.size ?? 0)),
      lastSyncAt: last?.receivedAt ?? null,
      lastReceipt:
        last === null
          ? null
          : {
              size: last.receipt.size,
              head: last.receipt.head,
              time: last.receipt.time,
              signature: last.signature,
            },
      running: this.#running !== null,
      lastError: this.#lastError,
    };
  }

  /** Signs a checkpoint over the log as it is now and keeps it. */
  checkpoint(reason: 'sync' | 'export' | 'request' = 'request'): SignedCheckpoint {
    const head = this.#deps.log.head();
    return this.#checkpointAt(head?.seq ?? 0, head?.hash ?? GENESIS_HASH, reason);
  }

  /** Uploads the outbox. One sync at a time; `sync.cancel` (or `signal`) stops it between requests. */
  async syncNow(options: { readonly signal?: AbortSignal } = {}): Promise<SyncOutcome> {
    if (this.#running !== null) throw new DeckhandError('invalid_input', 'A sync is already running.');
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    this.#running = controller;
    try {
      const outcome = await this.#sync(controller.signal);
      this.#lastError = null;
      return outcome;
    } catch (error) {
      const data = error instanceof DeckhandError ? error : new DeckhandError('internal', 'The sync failed.');
      this.#lastError = { code: data.code, message: data.message };
      throw error;
    } finally {
      this.#running = null;
    }
  }

  /** Cancels a running sync; false when none runs. */
  cancel(): boolean {
    if (this.#running === null) return false;
    this.#running.abort();
    return true;
  }

  async #sync(signal: AbortSignal): Promise<SyncOutcome> {
    const enrolment = this.#deps.store.enrolment();
    if (enrolment === null)
      throw new DeckhandError(
        'not_enrolled',
        'This laptop is not enrolled with an HQ yet. Enrol it first (deckhand sync --hq URL).',
      );
    const technician = enrolment.technicianKey;
    this.#deps.key.privateKey(); // unlock before the first request, so a wrong passphrase fails fast
    const client = this.#deps.clientFactory({ url: enrolment.hqUrl, certPem: enrolment.certPem });
    const end = this.#deps.log.head()?.seq ?? 0;
    try {
      let receipt = await this.#retry(signal, () => client.receipt(technician, signal));
      this.#accept(enrolment, receipt);
      const startedAt = receipt.receipt.size;
      const meter = new ProgressMeter({
        jobId: SYNC_JOB_ID,
        totalBytes: this.#deps.store.bytesBetween(startedAt, end),
        emit: (record) => this.#deps.events.emit('progress', record),
      });
      meter.step('uploading');
      let batches = 0;
      let lastCheckpoint: SignedCheckpoint | null = null;
      let stalled = 0;
      // The next batch is read and signed while the current one is on the wire (a two-stage
      // pipeline); it is used only if HQ's receipt lands exactly where it starts.
      const prepare = (after: number): BatchRequest => {
        const rows = this.#deps.store.eventsAfter(after, end, this.#policy.batchSize);
        const last = rows[rows.length - 1];
        if (last === undefined)
          throw new DeckhandError(
            'inconsistent_log',
            'HQ holds more of this log than the laptop does: the local log was truncated.',
            { firstBadSeq: after + 1 },
          );
        const checkpoint = signCheckpoint(this.#deps.key.privateKey(), {
          v: 1,
          technician,
          size: last.seq,
          head: last.hash,
          time: this.#now(),
        });
        return { technician, events: rows, checkpoint };
      };
      let next: BatchRequest | null = null;
      while (receipt.receipt.size < end) {
        if (signal.aborted) throw cancelled();
        if (stalled >= this.#policy.maxAttempts)
          throw new DeckhandError('hq_unreachable', 'HQ keeps acknowledging nothing new. Try again later.');
        const batch: BatchRequest =
          next !== null && next.events[0]?.seq === receipt.receipt.size + 1
            ? next
            : prepare(receipt.receipt.size);
        lastCheckpoint = batch.checkpoint;
        const before = receipt.receipt.size;
        const sending = this.#retry(signal, () => client.postBatch(batch, signal));
        const batchEnd = batch.checkpoint.checkpoint.size;
        next = batchEnd < end ? prepare(batchEnd) : null;
        receipt = await sending;
        this.#accept(enrolment, receipt);
        batches += 1;
        stalled = receipt.receipt.size > before ? 0 : stalled + 1;
        const acknowledged = receipt.receipt.size;
        const advanced = batch.events.filter((row) => row.seq > before && row.seq <= acknowledged);
        meter.advance(advanced.reduce((sum, row) => sum + wireSizeOf(row), 0));
      }
      if (lastCheckpoint !== null) this.#deps.store.saveCheckpoint(lastCheckpoint, 'sync');
      meter.finish('done');
      return { sent: receipt.receipt.size - startedAt, receipt, batches };
    } finally {
      client.close();
    }
  }

  /**
   * Checks and keeps a receipt: signed by the pinned HQ key, for this technician, and agreeing with
   * the local log at its size. A disagreement means the local log is not the history HQ signed.
   */
  #accept(enrolment: Enrolment, signed: SignedReceipt): void {
    const r = signed.receipt;
    if (
      r.hq !== enrolment.hqKeyId ||
      r.technician !== enrolment.technicianKey ||
      !verifyReceipt(enrolment.hqPublicKey, signed)
    ) {
      throw new DeckhandError(
        'hq_untrusted',
        'HQ sent a receipt that is not signed by the HQ key this laptop enrolled with.',
      );
    }
    if (r.size > 0) {
      const local = this.#deps.store.hashAt(r.size);
      if (local !== r.head) {
        throw new DeckhandError(
          'inconsistent_log',
          local === null
            ? `HQ holds ${r.size} events of this log but the laptop has fewer: the local log was truncated.`
            : `The local log disagrees with HQ's receipt at seq ${r.size}: it was changed after HQ received it.`,
          { firstBadSeq: r.size },
        );
      }
    }
    this.#deps.store.saveReceipt(signed, this.#now());
  }

  async #retry<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) throw cancelled();
      try {
        return await work();
      } catch (error) {
        if (signal.aborted) throw cancelled();
        const retryable = error instanceof DeckhandError && error.code === 'hq_unreachable';
        if (!retryable || attempt >= this.#policy.maxAttempts) throw error;
        const cap = Math.min(this.#policy.backoffMaxMs, this.#policy.backoffBaseMs * 2 ** (attempt - 1));
        const delay = (this.#deps.random ?? Math.random)() * cap;
        this.#deps.events.emit('progress', {
          jobId: SYNC_JOB_ID,
          step: `retrying (attempt ${attempt + 1} of ${this.#policy.maxAttempts})`,
          percent: null,
          bytes: 0,
          bytesPerSec: 0,
          etaSec: null,
        });
        await (this.#deps.sleep ?? sleep)(delay, signal);
      }
    }
  }

  /**
   * Writes the whole log to a `.dhlog` file (docs/sync.md) with a checkpoint signed at its last
   * event. Written beside the target and renamed into place, so a half-written file never appears.
   */
  exportLog(file: string): { readonly size: number; readonly checkpoint: SignedCheckpoint } {
    const key = this.#deps.key.ensure();
    this.#deps.key.privateKey();
    const temp = `${file}.${process.pid}.partial`;
    const fd = openSync(temp, 'w');
    let last: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH };
    try {
      const enrolment = this.#deps.store.enrolment();
      let buffer = dhlogHeaderLine(
        {
          keyId: key.keyId,
          publicKey: key.publicKey,
          name: enrolment?.technicianName ?? '',
          laptopId: key.laptopId,
        },
        this.#now(),
      );
      for (const row of this.#deps.store.iterateEvents()) {
        buffer += dhlogEventLine(row);
        last = row;
        if (buffer.length > 1 << 20) {
          writeSync(fd, buffer);
          buffer = '';
        }
      }
      const checkpoint = this.#checkpointAt(last.seq, last.hash, 'export');
      writeSync(fd, buffer + dhlogCheckpointLine(checkpoint));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(temp, file);
      return { size: last.seq, checkpoint };
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
      rmSync(temp, { force: true });
      throw error;
    }
  }

  #checkpointAt(size: number, head: string, reason: 'sync' | 'export' | 'request'): SignedCheckpoint {
    const key = this.#deps.key.ensure();
    const signed = signCheckpoint(this.#deps.key.privateKey(), {
      v: 1,
      technician: key.keyId,
      size,
      head,
      time: this.#now(),
    });
    this.#deps.store.saveCheckpoint(signed, reason);
    return signed;
  }

  #now(): string {
    return (this.#deps.clock?.() ?? new Date()).toISOString();
  }
}

function cancelled(): DeckhandError {
  return new DeckhandError(
    'cancelled',
    'The sync was cancelled. Events HQ acknowledged stay acknowledged; the rest go next time.',
  );
}

function normalise(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
