/**
 * The deploy log in SQLite. Appends run in an IMMEDIATE transaction so that reading the head and
 * inserting the next event is atomic across processes (the app and the CLI can both append).
 * UPDATE and DELETE are refused by triggers; verification streams rows through core's verifyChain.
 */
import {
  chainEvent,
  verifyChain,
  type ChainedEvent,
  type ChainStatus,
  type EventDraft,
  type StoredEventRow,
} from '../../core/eventlog/chain';
import { canonicalJson } from '../../core/eventlog/canonical-json';
import { DeckhandError } from '../../core/result';
import { withDbErrors, type Db } from './database';

/** Filters for listing events. */
export interface EventFilter {
  readonly kind?: string | undefined;
  readonly device?: string | undefined;
}

interface EventRecord {
  seq: number;
  time: string;
  kind: string;
  device: string | null;
  payload: string;
  prev_hash: string;
  hash: string;
}

/** Reads and appends the hash-chained event log. */
export class EventLogStore {
  readonly #db: Db;
  readonly #file: string;
  readonly #clock: () => Date;
  readonly #head;
  readonly #insert;

  constructor(db: Db, clock: () => Date = () => new Date()) {
    this.#db = db;
    this.#file = db.name;
    this.#clock = clock;
    this.#head = db.prepare<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1',
    );
    this.#insert = db.prepare(
      'INSERT INTO events (seq, time, kind, device, payload, prev_hash, hash) VALUES (@seq, @time, @kind, @device, @payload, @prevHash, @hash)',
    );
  }

  /** Appends one event; returns it as stored. Durable once this returns (synchronous=FULL). */
  append(draft: EventDraft): ChainedEvent {
    const [event] = this.appendMany([draft]);
    if (!event) throw new DeckhandError('internal', 'The event was not recorded.');
    return event;
  }

  /** Appends several events in one transaction: all of them land, or none. */
  appendMany(drafts: readonly EventDraft[]): ChainedEvent[] {
    for (const draft of drafts) validateDraft(draft);
    return withDbErrors(this.#file, () =>
      this.#db
        .transaction(() => {
          let previous: Pick<ChainedEvent, 'seq' | 'hash'> | null = this.#head.get() ?? null;
          const time = this.#clock();
          const stored: ChainedEvent[] = [];
          for (const draft of drafts) {
            const event = chainEvent(previous, draft, time);
            this.#insert.run({ ...event, payload: canonicalJson(event.payload) });
            stored.push(event);
            previous = event;
          }
          return stored;
        })
        .immediate(),
    );
  }

  /** Number of events in the log. */
  count(filter: EventFilter = {}): number {
    const { where, params } = whereClause(filter);
    return withDbErrors(this.#file, () => {
      const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM events ${where}`).get(params) as { n: number };
      return row.n;
    });
  }

  /** A page of events, newest first. */
  page(filter: EventFilter, offset: number, limit: number): StoredEventRow[] {
    const { where, params } = whereClause(filter);
    return withDbErrors(this.#file, () =>
      (
        this.#db
          .prepare(`SELECT * FROM events ${where} ORDER BY seq DESC LIMIT @limit OFFSET @offset`)
          .all({ ...params, limit, offset }) as EventRecord[]
      ).map(toStoredRow),
    );
  }

  /** Distinct kinds and devices, for filter menus. */
  facets(): { kinds: string[]; devices: string[] } {
    return withDbErrors(this.#file, () => ({
      kinds: this.#db.prepare('SELECT DISTINCT kind FROM events ORDER BY kind').pluck().all() as string[],
      devices: this.#db
        .prepare('SELECT DISTINCT device FROM events WHERE device IS NOT NULL ORDER BY device')
        .pluck()
        .all() as string[],
    }));
  }

  /** Walks every row in seq order and verifies the chain, streaming from the database. */
  verify(): ChainStatus {
    return withDbErrors(this.#file, () => {
      const rows = this.#db
        .prepare('SELECT * FROM events ORDER BY seq')
        .iterate() as IterableIterator<EventRecord>;
      return verifyChain(mapIterable(rows, toStoredRow));
    });
  }

  /** The newest event, or null for an empty log. */
  head(): { seq: number; hash: string } | null {
    return withDbErrors(this.#file, () => this.#head.get() ?? null);
  }
}

function validateDraft(draft: EventDraft): void {
  if (!/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$/.test(draft.kind) || draft.kind.length > 100) {
    throw new DeckhandError(
      'invalid_input',
      `"${draft.kind}" is not a valid event kind (dotted lower-case words).`,
    );
  }
  if (draft.device !== null && (draft.device.length === 0 || draft.device.length > 512)) {
    throw new DeckhandError(
      'invalid_input',
      'An event device must be a non-empty string of at most 512 characters.',
    );
  }
  try {
    canonicalJson(draft.payload);
  } catch (error) {
    throw new DeckhandError(
      'invalid_input',
      `The event payload cannot be stored: ${(error as Error).message}.`,
    );
  }
}

function whereClause(filter: EventFilter): { where: string; params: Record<string, string> } {
  const clauses: string[] = [];
  const params: Record<string, string> = {};
  if (filter.kind !== undefined) {
    clauses.push('kind = @kind');
    params['kind'] = filter.kind;
  }
  if (filter.device !== undefined) {
    clauses.push('device = @device');
    params['device'] = filter.device;
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function toStoredRow(record: EventRecord): StoredEventRow {
  return {
    seq: record.seq,
    time: record.time,
    kind: record.kind,
    device: record.device,
    payloadJson: record.payload,
    prevHash: record.prev_hash,
    hash: record.hash,
  };
}

function* mapIterable<A, B>(items: Iterable<A>, map: (item: A) => B): Iterable<B> {
  for (const item of items) yield map(item);
}
