/**
 * The one truth about what the renderer may ask of the backend and what it hears back.
 *
 * Every verb has a zod input schema (parsed by the gate before any service runs) and an output type.
 * Every event has a payload type (names and channels live in channels.ts, free of zod, for the
 * preload). The preload builds `window.deckhand` from `VERB_NAMES` and `EVENT_NAMES`; the browser host serves the same map over its WebSocket. This file must stay free of
 * Node and Electron imports: the renderer imports its types.
 */
import { z } from 'zod';
import type { ChainStatus } from '../../core/eventlog/event-types';
import type { ProgressRecord } from '../../core/progress/progress-meter';
import type { Result } from '../../core/result';
import type { EventName, VerbName } from './channels';

export {
  EVENT_CHANNEL,
  EVENT_NAMES,
  VERB_NAMES,
  verbChannel,
  type EventName,
  type VerbName,
} from './channels';

/** Largest page the renderer may request at once; the Logs table pages through bigger logs. */
export const MAX_PAGE = 1000;

const noInput = z.undefined();
const filterText = z.string().trim().min(1).max(256).optional();

/** Verb name → input schema. Output types are in `VerbOutputs`, keyed the same way. */
export const verbInputs = {
  /** Version, data folder and host kind, for the About and Settings screens. */
  'app.info': noInput,
  /** A page of the deploy log, newest first, optionally filtered by kind and device. */
  'logs.query': z
    .object({
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(MAX_PAGE),
      kind: filterText,
      device: filterText,
    })
    .strict(),
  /** The distinct kinds and devices in the log, for the filter menus. */
  'logs.facets': noInput,
  /** Walks the whole hash chain and reports whether it is intact. */
  'logs.verify': noInput,
} as const satisfies { readonly [V in VerbName]: z.ZodType };

/** One row of the deploy log as the UI sees it. */
export interface LogRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly device: string | null;
  readonly payload: unknown;
  readonly hash: string;
}

/** Output type of each verb. */
export interface VerbOutputs {
  'app.info': {
    readonly name: string;
    readonly version: string;
    readonly dataDir: string;
    readonly host: 'electron' | 'browser' | 'cli';
    readonly platform: string;
  };
  'logs.query': { readonly total: number; readonly rows: readonly LogRow[] };
  'logs.facets': { readonly kinds: readonly string[]; readonly devices: readonly string[] };
  'logs.verify': ChainStatus;
}

export type VerbInput<V extends VerbName> = z.input<(typeof verbInputs)[V]>;
export type VerbParsedInput<V extends VerbName> = z.output<(typeof verbInputs)[V]>;
export type VerbOutput<V extends VerbName> = VerbOutputs[V];

/** Event name → payload type. */
export interface EventPayloads {
  progress: ProgressRecord;
  'device.attached': {
    readonly uri: string;
    readonly transport: 'lan' | 'serial' | 'usb';
    readonly label: string;
  };
  'device.detached': { readonly uri: string };
  'log.appended': { readonly seq: number; readonly kind: string; readonly device: string | null };
}

/** Compile-time proof that EVENT_NAMES and EventPayloads name the same events. */
export const EVENT_PAYLOADS_COMPLETE: [EventName] extends [keyof EventPayloads]
  ? [keyof EventPayloads] extends [EventName]
    ? true
    : never
  : never = true;

/** The API the renderer sees, whichever host carries it. */
export type DeckhandApi = {
  readonly [V in VerbName]: (input: VerbInput<V>) => Promise<Result<VerbOutput<V>>>;
} & {
  /** Subscribes to an event; returns the unsubscribe function. */
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) => () => void;
};
