/** A fake DeckhandApi over an in-memory log, recording every call, for renderer tests. */
import type { ChainStatus } from '../../../core/eventlog/chain';
import type { Result } from '../../../core/result';
import type {
  DeckhandApi,
  EventName,
  EventPayloads,
  LogRow,
  VerbInput,
  VerbName,
} from '../../../main/ipc/contract';

/** One recorded call. */
export interface RecordedCall {
  readonly verb: VerbName;
  readonly input: unknown;
}

/** Options for the fake. */
export interface FakeBridgeOptions {
  readonly rows?: number;
  readonly kinds?: readonly string[];
  readonly devices?: readonly string[];
  readonly chain?: ChainStatus;
}

/** The fake and the handles a test drives it with. */
export interface FakeBridge {
  readonly api: DeckhandApi;
  readonly calls: RecordedCall[];
  /** The `logs.query` inputs, in order. */
  readonly queries: () => readonly VerbInput<'logs.query'>[];
  /** Appends an event to the fake log and emits 'log.appended'. */
  readonly append: (kind: string, device: string | null) => void;
  /** Replaces the chain status 'logs.verify' returns. */
  setChain(chain: ChainStatus): void;
  emit<E extends EventName>(event: E, payload: EventPayloads[E]): void;
}

/** Deterministic row `seq` of the fake log: kinds and devices cycle. */
export function makeRow(seq: number, kinds: readonly string[], devices: readonly string[]): LogRow {
  const kind = kinds[seq % kinds.length] ?? 'event';
  const device = seq % 5 === 0 ? null : (devices[seq % devices.length] ?? null);
  return {
    seq,
    time: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(),
    kind,
    device,
    payload: { step: seq % 7, target: `app@1.${seq % 3}` },
    hash: seq.toString(16).padStart(64, 'a'),
  };
}

/** Builds a fake whose log holds `rows` events (seq 1..rows; queries return newest first). */
export function createFakeBridge(options: FakeBridgeOptions = {}): FakeBridge {
  const kinds = options.kinds ?? ['deploy.started', 'deploy.committed', 'bundle.imported', 'deploy.failed'];
  const devices = options.devices ?? ['tcp://rig-a:7700', 'serial:///dev/ttyUSB0', 'tcp://rig-b:7700'];
  const log: LogRow[] = [];
  for (let seq = 1; seq <= (options.rows ?? 0); seq += 1) log.push(makeRow(seq, kinds, devices));
  let chain: ChainStatus = options.chain ?? { valid: true, size: log.length, head: 'f'.repeat(64) };
  const calls: RecordedCall[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  const reply = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value });

  const api = {
    'app.info': (input: undefined) => {
      calls.push({ verb: 'app.info', input });
      return reply({
        name: 'Deckhand',
        version: '0.1.0',
        dataDir: '/home/tech/.config/Deckhand',
        host: 'browser',
        platform: 'linux',
      } as const);
    },
    'logs.query': (input: VerbInput<'logs.query'>) => {
      calls.push({ verb: 'logs.query', input });
      // Evaluate the filter per row, newest first, like the real service.
      const matching: LogRow[] = [];
      for (let i = log.length - 1; i >= 0; i -= 1) {
        const row = log[i]!;
        if (input.kind !== undefined && row.kind !== input.kind) continue;
        if (input.device !== undefined && row.device !== input.device) continue;
        matching.push(row);
      }
      return reply({
        total: matching.length,
        rows: matching.slice(input.offset, input.offset + input.limit),
      });
    },
    'logs.facets': (input: undefined) => {
      calls.push({ verb: 'logs.facets', input });
      return reply({ kinds: [...new Set(log.map((row) => row.kind))].sort(), devices: [...devices].sort() });
    },
    'logs.verify': (input: undefined) => {
      calls.push({ verb: 'logs.verify', input });
      return reply(chain);
    },
    on: (event: EventName, listener: (payload: unknown) => void) => {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  };

  const emit = (event: EventName, payload: unknown): void => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };

  return {
    // The literal's `on` is not generic; the fake emits each event with its contract payload.
    api: api as unknown as DeckhandApi,
    calls,
    queries: () =>
      calls.filter((call) => call.verb === 'logs.query').map((call) => call.input as VerbInput<'logs.query'>),
    append: (kind, device) => {
      const seq = log.length + 1;
      log.push({ ...makeRow(seq, [kind], [device ?? '']), kind, device });
      emit('log.appended', { seq, kind, device });
    },
    setChain: (next) => {
      chain = next;
    },
    emit: (event, payload) => emit(event, payload),
  };
}
