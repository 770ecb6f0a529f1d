/** The Logs use cases: paging, filtering and verifying the deploy log, and recording new events. */
import type { ChainedEvent, ChainStatus, EventDraft } from '../../core/eventlog/chain';
import type { EventLogStore } from '../db/event-log-store';
import type { VerbOutput, VerbParsedInput, LogRow } from '../ipc/contract';
import type { EventBus } from './event-bus';

/** Records events and answers the Logs screen and `deckhand logs`. */
export class LogsService {
  readonly #store: EventLogStore;
  readonly #events: EventBus;

  constructor(store: EventLogStore, events: EventBus) {
    this.#store = store;
    this.#events = events;
  }

  /** Appends an event and tells listeners (the Logs screen refreshes on it). */
  record(draft: EventDraft): ChainedEvent {
    const event = this.#store.append(draft);
    this.#events.emit('log.appended', { seq: event.seq, kind: event.kind, device: event.device });
    return event;
  }

  /** A page of events, newest first, with the filtered total. */
  query(input: VerbParsedInput<'logs.query'>): VerbOutput<'logs.query'> {
    const filter = { kind: input.kind, device: input.device };
    const rows: LogRow[] = this.#store.page(filter, input.offset, input.limit).map((row) => ({
      seq: row.seq,
      time: row.time,
      kind: row.kind,
      device: row.device,
      payload: parsePayload(row.payloadJson),
      hash: row.hash,
    }));
    return { total: this.#store.count(filter), rows };
  }

  /** Distinct kinds and devices. */
  facets(): VerbOutput<'logs.facets'> {
    return this.#store.facets();
  }

  /** Walks the chain. */
  verify(): ChainStatus {
    return this.#store.verify();
  }
}

function parsePayload(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // A tampered row can hold anything; show it as text rather than failing the whole page.
    return { unreadable: json };
  }
}
