/**
 * HQ's use cases: enrolment and revocation, idempotent batch upload, `.dhlog` import, and fleet and
 * DORA queries. Storage is behind HqStore (SQLite or PostgreSQL), so both behave the same.
 *
 * Idempotency: events are keyed by (technician, seq). A batch may repeat events HQ holds (a retry, a
 * duplicate, an overlapping import): those must match HQ's hashes exactly and are skipped; a batch
 * that starts beyond HQ's head is not stored and the receipt tells the laptop where to resume.
 */
import { GENESIS_HASH, type StoredEventRow } from '../core/eventlog/chain';
import { computeDora, type DeployOutcome, type DoraMetrics } from '../core/dora/dora';
import { DeckhandError } from '../core/result';
import {
  signReceipt,
  verifyCheckpoint,
  type SignedCheckpoint,
  type SignedReceipt,
} from '../core/sync/checkpoint';
import { keyIdOf, verifyValue } from '../core/sync/signing';
import { verifySegment, type ChainPoint } from '../core/sync/verify-segment';
import {
  batchRequestSchema,
  enrolRequestSchema,
  type EnrolResponse,
  type HqIdentity,
  type WireEvent,
} from '../core/sync/wire';
import type { DhlogHeader } from '../core/sync/dhlog';
import { readDhlog } from './dhlog-reader';
import type { HqKeys } from './hq-identity';
import type { HqStore, TechnicianRecord, TechnicianTx } from './store/hq-store';

/** Events applied per transaction during an import. */
const IMPORT_CHUNK = 5000;

/** Options of the service. */
export interface HqServiceOptions {
  /** When set, enrolment requests must carry this token. */
  readonly enrolToken?: string | undefined;
  readonly clock?: () => Date;
}

/** The outcome of importing a file. */
export interface ImportResult {
  readonly technician: string;
  readonly size: number;
  /** Events HQ did not hold before. */
  readonly added: number;
  readonly receipt: SignedReceipt;
}

/** Last known release and model on a device. */
export interface DeviceState {
  readonly device: string;
  readonly site: string | null;
  readonly release: { readonly name: string; readonly version: string; readonly time: string } | null;
  readonly model: { readonly name: string; readonly version: string; readonly time: string } | null;
  readonly lastSeen: string;
}

/** HQ's behaviour, independent of HTTP. */
export class HqService {
  readonly #store: HqStore;
  readonly #keys: HqKeys;
  readonly #options: HqServiceOptions;

  constructor(store: HqStore, keys: HqKeys, options: HqServiceOptions = {}) {
    this.#store = store;
    this.#keys = keys;
    this.#options = options;
  }

  /** HQ's public identity. */
  identity(): HqIdentity {
    return this.#keys.identity;
  }

  /** Accepts an enrolment request signed by the key it enrols. */
  async enrol(body: unknown): Promise<EnrolResponse> {
    const request = parse(enrolRequestSchema, body);
    if (this.#options.enrolToken !== undefined && request.token !== this.#options.enrolToken) {
      throw new DeckhandError(
        'unauthorized',
        'HQ refused the enrolment: the enrolment token is missing or wrong.',
      );
    }
    const { claim } = request;
    if (!verifyValue(claim.publicKey, 'deckhand.enrolment.v1', claim, request.signature)) {
      throw new DeckhandError('bad_signature', 'The enrolment request is not signed by the key it enrols.');
    }
    const keyId = keyIdOf(claim.publicKey);
    const record = await this.#store.enrol({
      keyId,
      publicKey: claim.publicKey,
      name: claim.technicianName,
      laptopId: claim.laptopId,
      enrolledAt: this.#now(),
    });
    if (record.revokedAt !== null) throw revoked(record);
    return { technician: keyId, hq: this.#keys.identity };
  }

  /** Revokes a technician key: HQ refuses its uploads from now on. */
  async revoke(keyId: string): Promise<void> {
    if (!(await this.#store.revoke(keyId, this.#now())))
      throw new DeckhandError('not_found', `No technician key ${keyId} is enrolled at this HQ.`);
  }

  /** HQ's signed receipt of what it holds for a technician (where a sync resumes). */
  async receipt(keyId: string): Promise<SignedReceipt> {
    const technician = await this.#activeTechnician(keyId);
    return this.#sign(technician.keyId, { seq: technician.headSeq, hash: technician.headHash });
  }

  /** Verifies and stores a batch; answers with a receipt of the highest contiguous seq held. */
  async acceptBatch(body: unknown): Promise<SignedReceipt> {
    const batch = parse(batchRequestSchema, body);
    const technician = await this.#activeTechnician(batch.technician);
    if (
      batch.checkpoint.checkpoint.technician !== technician.keyId ||
      !verifyCheckpoint(technician.publicKey, batch.checkpoint)
    ) {
      throw new DeckhandError(
        'invalid_checkpoint',
        'The batch checkpoint is not signed by this technician key.',
      );
    }
    const head = await this.#store.withTechnician(technician.keyId, (tx) =>
      this.#apply(tx, batch.events, batch.checkpoint),
    );
    return this.#sign(technician.keyId, head);
  }

  /**
   * Imports a `.dhlog` file: a first pass verifies the whole chain and the signed checkpoint, a second
   * applies it in chunks. Events HQ already holds (an earlier import or sync) must match and are skipped.
   */
  async importFile(file: string, options: { readonly enrolUnknown: boolean }): Promise<ImportResult> {
    const { header, checkpoint, size } = await verifyDhlog(file);
    const known = await this.#store.technician(header.technician.keyId);
    if (known === null && !options.enrolUnknown) {
      throw new DeckhandError(
        'not_enrolled',
        `The file's technician key ${header.technician.keyId} is not enrolled at this HQ.`,
      );
    }
    if (known === null) {
      await this.#store.enrol({
        keyId: header.technician.keyId,
        publicKey: header.technician.publicKey,
        name: header.technician.name,
        laptopId: header.technician.laptopId,
        enrolledAt: this.#now(),
      });
    }
    const technician = await this.#activeTechnician(header.technician.keyId);
    const before = technician.headSeq;
    let head: ChainPoint = { seq: before, hash: technician.headHash };
    let chunk: WireEvent[] = [];
    const flush = async (last: boolean): Promise<void> => {
      const events = chunk;
      chunk = [];
      head = await this.#store.withTechnician(technician.keyId, (tx) =>
        this.#apply(tx, events, last ? checkpoint : null),
      );
    };
    for await (const line of readDhlog(file)) {
      if (line.type !== 'event') continue;
      chunk.push(line.event);
      if (chunk.length >= IMPORT_CHUNK) await flush(false);
    }
    await flush(true);
    return {
      technician: technician.keyId,
      size,
      added: Math.max(0, head.seq - before),
      receipt: this.#sign(technician.keyId, head),
    };
  }

  /** Every technician key HQ knows. */
  technicians(): Promise<TechnicianRecord[]> {
    return this.#store.technicians();
  }

  /** Last known release and model per device (from `deploy.committed` events). */
  async devices(): Promise<DeviceState[]> {
    const states = new Map<string, DeviceState>();
    for (const event of await this.#store.eventsOfKinds(['deploy.committed'])) {
      if (event.device === null) continue;
      const payload = parsePayload(event.payloadJson);
      const previous = states.get(event.device);
      const target = {
        name: str(payload['name']) ?? '?',
        version: str(payload['version']) ?? '?',
        time: event.time,
      };
      const kind = str(payload['targetKind']);
      states.set(event.device, {
        device: event.device,
        site: str(payload['site']) ?? previous?.site ?? null,
        release: kind === 'release' ? target : (previous?.release ?? null),
        model: kind === 'model' ? target : (previous?.model ?? null),
        lastSeen: event.time,
      });
    }
    return [...states.values()].sort((a, b) => a.device.localeCompare(b.device));
  }

  /** Deploy outcomes, newest first. */
  async deployments(limit = 1000): Promise<
    (DeployOutcome & {
      readonly technician: string;
      readonly name: string | null;
      readonly version: string | null;
    })[]
  > {
    const outcomes = await this.#outcomes();
    return outcomes.slice(-limit).reverse();
  }

  /** Diagnostics verdicts, newest first. */
  async diagnostics(limit = 1000): Promise<
    {
      device: string | null;
      site: string | null;
      model: string | null;
      verdict: string | null;
      time: string;
    }[]
  > {
    const events = await this.#store.eventsOfKinds(['diagnostics.finished']);
    return events
      .slice(-limit)
      .reverse()
      .map((event) => {
        const payload = parsePayload(event.payloadJson);
        return {
          device: event.device,
          site: str(payload['site']),
          model: str(payload['model']),
          verdict: str(payload['verdict']),
          time: event.time,
        };
      });
  }

  /** DORA metrics for the fleet and per site. */
  async dora(): Promise<{ fleet: DoraMetrics; sites: Record<string, DoraMetrics> }> {
    const outcomes = await this.#outcomes();
    const bySite = new Map<string, DeployOutcome[]>();
    for (const outcome of outcomes) {
      const site = outcome.site ?? 'unknown';
      bySite.set(site, [...(bySite.get(site) ?? []), outcome]);
    }
    return {
      fleet: computeDora(outcomes),
      sites: Object.fromEntries([...bySite].map(([site, list]) => [site, computeDora(list)])),
    };
  }

  async #outcomes() {
    const events = await this.#store.eventsOfKinds([
      'deploy.committed',
      'deploy.rolled_back',
      'deploy.failed',
    ]);
    return events
      .filter((event) => event.device !== null)
      .filter(
        // A deploy that failed before it changed the device is not a deployment (DORA).
        (event) =>
          event.kind !== 'deploy.failed' || parsePayload(event.payloadJson)['afterInstall'] !== false,
      )
      .map((event) => {
        const payload = parsePayload(event.payloadJson);
        return {
          technician: event.technician,
          device: event.device as string,
          site: str(payload['site']),
          time: event.time,
          outcome: event.kind === 'deploy.committed' ? ('committed' as const) : ('failed' as const),
          createdAt: str(payload['createdAt']) ?? undefined,
          name: str(payload['name']),
          version: str(payload['version']),
        };
      });
  }

  /**
   * Applies a contiguous run of events under the technician's lock: verifies it continues HQ's log
   * (or repeats it exactly), stores what is new and the checkpoint, and returns the new head.
   */
  async #apply(
    tx: TechnicianTx,
    events: readonly WireEvent[],
    checkpoint: SignedCheckpoint | null,
  ): Promise<ChainPoint> {
    const head: ChainPoint = { seq: tx.technician.headSeq, hash: tx.technician.headHash };
    const first = events[0];
    const last = events[events.length - 1];
    if (checkpoint !== null && last !== undefined) {
      const cp = checkpoint.checkpoint;
      if (cp.size !== last.seq || cp.head !== last.hash) {
        throw new DeckhandError(
          'invalid_checkpoint',
          `The signed checkpoint (size ${cp.size}) does not match the events it came with (last seq ${last.seq}).`,
          { firstBadSeq: Math.min(cp.size, last.seq) + 1 },
        );
      }
    }
    if (first === undefined || last === undefined) {
      if (checkpoint !== null)
        await this.#checkAgainstHeld(tx, head, checkpoint.checkpoint.size, checkpoint.checkpoint.head);
      return head;
    }
    if (first.seq > head.seq + 1) return head; // a gap: the receipt tells the laptop where to resume
    const startSeq = first.seq - 1;
    const startHash =
      startSeq === 0
        ? GENESIS_HASH
        : startSeq === head.seq
          ? head.hash
          : ((await tx.hashesBetween(startSeq, startSeq))[0] ?? '');
    const status = verifySegment({ seq: startSeq, hash: startHash }, events.map(toStoredRow));
    if (!status.valid) {
      if (status.code === 'inconsistent_log') throw inconsistent(status.firstBadSeq);
      throw new DeckhandError(
        'chain_broken',
        `HQ refused the log: the chain breaks at seq ${status.firstBadSeq} (${status.reason.replaceAll('_', ' ')}). The log was altered on the laptop.`,
        { firstBadSeq: status.firstBadSeq, reason: status.reason },
      );
    }
    const overlapEnd = Math.min(head.seq, last.seq);
    if (overlapEnd >= first.seq) {
      const held = await tx.hashesBetween(first.seq, overlapEnd);
      for (let i = 0; i < held.length; i += 1) {
        const event = events[i] as WireEvent;
        if (held[i] !== event.hash) throw inconsistent(event.seq);
      }
    }
    const fresh = events.filter((event) => event.seq > head.seq);
    if (fresh.length === 0) return head;
    await tx.append(fresh);
    if (checkpoint !== null) await tx.saveCheckpoint(checkpoint);
    return { seq: last.seq, hash: last.hash };
  }

  async #checkAgainstHeld(tx: TechnicianTx, head: ChainPoint, size: number, hash: string): Promise<void> {
    if (size === 0 || size > head.seq) return;
    const held = size === head.seq ? head.hash : (await tx.hashesBetween(size, size))[0];
    if (held !== hash) throw inconsistent(size);
  }

  async #activeTechnician(keyId: string): Promise<TechnicianRecord> {
    const technician = await this.#store.technician(keyId);
    if (technician === null)
      throw new DeckhandError(
        'not_enrolled',
        "This laptop's technician key is not enrolled at this HQ. Enrol it first.",
      );
    if (technician.revokedAt !== null) throw revoked(technician);
    return technician;
  }

  #sign(technician: string, head: ChainPoint): SignedReceipt {
    return signReceipt(this.#keys.signingKey, {
      v: 1,
      hq: this.#keys.identity.keyId,
      technician,
      size: head.seq,
      head: head.hash,
      time: this.#now(),
    });
  }

  #now(): string {
    return (this.#options.clock?.() ?? new Date()).toISOString();
  }
}

/**
 * First pass over a `.dhlog`: the header, a chain intact from genesis, and a trailer checkpoint
 * signed by the header's key that covers exactly the events in the file.
 */
export async function verifyDhlog(
  file: string,
): Promise<{ header: DhlogHeader; checkpoint: SignedCheckpoint; size: number }> {
  let header: DhlogHeader | null = null;
  let checkpoint: SignedCheckpoint | null = null;
  let previous: ChainPoint = { seq: 0, hash: GENESIS_HASH };
  for await (const line of readDhlog(file)) {
    if (line.type === 'header') header = line.header;
    else if (checkpoint !== null) {
      throw new DeckhandError('invalid_input', `${file} has lines after its checkpoint.`);
    } else if (line.type === 'checkpoint') checkpoint = line.checkpoint;
    else {
      const status = verifySegment(previous, [toStoredRow(line.event)]);
      if (!status.valid)
        throw new DeckhandError(
          'chain_broken',
          `HQ refused the file: the chain breaks at seq ${status.firstBadSeq} (${status.code === 'chain_broken' ? status.reason.replaceAll('_', ' ') : 'another history'}).`,
          { firstBadSeq: status.firstBadSeq },
        );
      previous = status.last;
    }
  }
  if (header === null) throw new DeckhandError('invalid_input', `${file} has no Deckhand log header.`);
  if (checkpoint === null)
    throw new DeckhandError('truncated', `${file} ends without its signed checkpoint: it was cut short.`, {
      firstBadSeq: previous.seq + 1,
    });
  const cp = checkpoint.checkpoint;
  if (
    cp.technician !== header.technician.keyId ||
    keyIdOf(header.technician.publicKey) !== header.technician.keyId ||
    !verifyCheckpoint(header.technician.publicKey, checkpoint)
  ) {
    throw new DeckhandError(
      'invalid_checkpoint',
      `${file}'s checkpoint is not signed by the technician key it names.`,
    );
  }
  if (cp.size !== previous.seq || cp.head !== previous.hash) {
    throw new DeckhandError(
      'chain_broken',
      `HQ refused the file: its checkpoint covers ${cp.size} events but the file holds ${previous.seq}; the first bad seq is ${Math.min(cp.size, previous.seq) + 1}.`,
      { firstBadSeq: Math.min(cp.size, previous.seq) + 1, reason: 'truncated' },
    );
  }
  return { header, checkpoint, size: previous.seq };
}

function parse<T>(
  schema: {
    safeParse(
      value: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
  },
  body: unknown,
): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new DeckhandError('invalid_input', 'HQ could not read the request.', {
      issues: parsed.error.issues
        .slice(0, 5)
        .map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  return parsed.data;
}

function revoked(technician: TechnicianRecord): DeckhandError {
  return new DeckhandError(
    'key_revoked',
    `HQ revoked the technician key of ${technician.name} (${technician.keyId}) on ${technician.revokedAt}. Contact HQ to enrol again.`,
  );
}

function inconsistent(seq: number): DeckhandError {
  return new DeckhandError(
    'inconsistent_log',
    `The log disagrees with what HQ already holds from seq ${seq}: it is a different history from the one HQ signed a receipt for.`,
    { firstBadSeq: seq },
  );
}

function toStoredRow(event: WireEvent): StoredEventRow {
  return event;
}

function parsePayload(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
