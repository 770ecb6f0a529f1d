/**
 * The renderer's only way to reach the backend, and the only file that touches `window.deckhand`.
 *
 * In Electron the preload exposes the contract's verbs on `window.deckhand`. In a plain browser (the
 * browser host, end-to-end tests) the same verbs travel over a WebSocket to `/bridge`; the host has
 * already set the auth cookie, so the socket sends nothing but requests.
 */
import type { DeckhandApi, EventName, VerbName } from '../../main/ipc/contract';
import type { Result } from '../../core/result';

// The rest of the renderer takes contract types from here, so this file stays its one link to main/.
export type {
  BundleImportRow,
  BundleOffer,
  BundleTargetRow,
  ConsoleView,
  DeckhandApi,
  DeployableTarget,
  DeployPlanView,
  DeployRunView,
  DeviceOutcome,
  DeviceView,
  DiagnosticDeviceView,
  DiagnosticExport,
  DiagnosticLevel,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
  SloCheck,
  Verdict,
  EventPayloads,
  LogRow,
  OverviewView,
  TrustRow,
  VerbInput,
  VerbName,
  VerbOutput,
} from '../../main/ipc/contract';

/**
 * Every verb the renderer knows. The renderer may import only types from the contract, so it keeps
 * its own list; `satisfies` makes a verb added to (or removed from) the contract a build error here.
 */
const KNOWN_VERBS = {
  'app.info': true,
  'logs.query': true,
  'logs.facets': true,
  'logs.verify': true,
  'bundles.list': true,
  'bundles.import': true,
  'bundles.cancelImport': true,
  'bundles.offers': true,
  'bundles.pickFile': true,
  'sync.status': true,
  'sync.enrol': true,
  'sync.now': true,
  'sync.cancel': true,
  'devices.list': true,
  'devices.add': true,
  'devices.remove': true,
  'devices.refresh': true,
  'devices.confirmFingerprint': true,
  'deploy.targets': true,
  'deploy.plan': true,
  'deploy.start': true,
  'deploy.cancel': true,
  'deploy.runs': true,
  'deploy.retry': true,
  'deploy.rollback': true,
  'overview.summary': true,
  'diagnostics.device': true,
  'diagnostics.start': true,
  'diagnostics.cancel': true,
  'diagnostics.runs': true,
  'diagnostics.run': true,
  'diagnostics.export': true,
  'console.open': true,
  'console.write': true,
  'console.close': true,
} as const satisfies Record<VerbName, true>;

/** The contract's verbs, in a stable order. */
export const VERBS: readonly VerbName[] = Object.keys(KNOWN_VERBS) as VerbName[];

/** Whether the backend can be reached: the UI shows a banner once it is `lost`. */
export type ConnectionState = 'connecting' | 'open' | 'lost';

/** A live bridge: the API plus its connection state. */
export interface BridgeConnection {
  readonly api: DeckhandApi;
  /** The current state of the connection. */
  readonly getState: () => ConnectionState;
  /** Calls `listener` on each state change; returns the unsubscribe function. */
  readonly onStateChange: (listener: (state: ConnectionState) => void) => () => void;
}

/** The part of the DOM WebSocket the bridge uses, so tests can pass a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
}

/** What a failed call resolves to once the socket is gone; the page must be reloaded to reconnect. */
export const CONNECTION_LOST: Result<never> = {
  ok: false,
  error: { code: 'internal', message: 'Lost the connection to Deckhand. Reload the page.' },
};

// WebSocket.OPEN, spelled out so fakes need not define the static constants.
const SOCKET_OPEN = 1;

type AnyListener = (payload: unknown) => void;

/** Builds the API object from the verb list; `call` does the actual transport. */
function buildApi(
  call: (verb: VerbName, input: unknown) => Promise<Result<unknown>>,
  on: (event: EventName, listener: AnyListener) => () => void,
): DeckhandApi {
  const api: Record<string, unknown> = { on };
  for (const verb of VERBS) api[verb] = (input: unknown) => call(verb, input);
  // The mapped type cannot be built key by key; the loop above covers exactly VerbName (see KNOWN_VERBS).
  return Object.freeze(api) as DeckhandApi;
}

/** Connects the API over a WebSocket speaking the browser host's JSON protocol. */
export function connectSocketBridge(socket: SocketLike): BridgeConnection {
  let state: ConnectionState = socket.readyState === SOCKET_OPEN ? 'open' : 'connecting';
  let nextId = 1;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const queued: string[] = [];
  const eventListeners = new Map<string, Set<AnyListener>>();
  const stateListeners = new Set<(state: ConnectionState) => void>();

  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    for (const listener of [...stateListeners]) listener(next);
  };

  const lose = (): void => {
    if (state === 'lost') return;
    setState('lost');
    queued.length = 0;
    const waiting = [...pending.values()];
    pending.clear();
    for (const resolve of waiting) resolve(CONNECTION_LOST);
  };

  socket.addEventListener('open', () => {
    if (state === 'lost') return;
    setState('open');
    for (const frame of queued.splice(0)) socket.send(frame);
  });
  // 'error' is always followed by 'close' in browsers; handling both keeps fakes and odd hosts honest.
  socket.addEventListener('close', lose);
  socket.addEventListener('error', lose);
  socket.addEventListener('message', (event) => {
    const frame = parseFrame(event.data);
    if (frame === null) return;
    if ('event' in frame) {
      for (const listener of [...(eventListeners.get(frame.event) ?? [])]) listener(frame.payload);
      return;
    }
    const resolve = pending.get(frame.id);
    if (resolve === undefined) return;
    pending.delete(frame.id);
    resolve(frame.result);
  });

  const call = (verb: VerbName, input: unknown): Promise<Result<unknown>> => {
    if (state === 'lost') return Promise.resolve(CONNECTION_LOST);
    const id = nextId++;
    const frame = JSON.stringify(input === undefined ? { id, verb } : { id, verb, input });
    return new Promise((resolve) => {
      pending.set(id, resolve);
      if (state === 'open') {
        try {
          socket.send(frame);
        } catch {
          lose();
        }
      } else {
        queued.push(frame);
      }
    });
  };

  const on = (event: EventName, listener: AnyListener): (() => void) => {
    let set = eventListeners.get(event);
    if (set === undefined) {
      set = new Set();
      eventListeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  };

  return {
    api: buildApi(call, on),
    getState: () => state,
    onStateChange: (listener) => {
      stateListeners.add(listener);
      return () => {
        stateListeners.delete(listener);
      };
    },
  };
}

/** Wraps the preload's API; IPC inside one Electron app does not drop, so the state stays `open`. */
export function wrapPreloadApi(preload: DeckhandApi): BridgeConnection {
  return {
    api: preload,
    getState: () => 'open',
    onStateChange: () => () => undefined,
  };
}

/** The host this renderer runs in, as far as the bridge needs to know. */
export interface BridgeHost {
  readonly deckhand?: DeckhandApi;
  readonly location: Pick<Location, 'protocol' | 'host'>;
}

/** Picks the preload when there is one, else the browser host's WebSocket at `/bridge`. */
export function openBridge(
  host: BridgeHost,
  createSocket: (url: string) => SocketLike = (url) => new WebSocket(url),
): BridgeConnection {
  if (host.deckhand !== undefined) return wrapPreloadApi(host.deckhand);
  const scheme = host.location.protocol === 'https:' ? 'wss' : 'ws';
  return connectSocketBridge(createSocket(`${scheme}://${host.location.host}/bridge`));
}

let defaultConnection: BridgeConnection | undefined;

/** The app's bridge connection, opened on first use so importing this module has no side effects. */
export function defaultBridgeConnection(): BridgeConnection {
  defaultConnection ??= openBridge(window as Window & { readonly deckhand?: DeckhandApi });
  return defaultConnection;
}

/**
 * The path of a file dropped on the window, where the host can tell (the desktop app's preload);
 * null in a browser, which never reveals where a dropped file lives.
 */
export function pathOfDroppedFile(
  file: File,
  host: { readonly deckhand?: DeckhandApi } = window as Window & { readonly deckhand?: DeckhandApi },
): string | null {
  const pathForFile = host.deckhand?.pathForFile;
  if (pathForFile === undefined) return null;
  try {
    const path = pathForFile(file);
    return path === '' ? null : path;
  } catch {
    return null;
  }
}

/** The app's API; each call goes through the default connection. */
export const bridge: DeckhandApi = buildApi(
  (verb, input) =>
    (defaultBridgeConnection().api[verb] as (input: unknown) => Promise<Result<unknown>>)(input),
  (event, listener) => defaultBridgeConnection().api.on(event, listener),
);

type ServerFrame =
  | { readonly id: number; readonly result: Result<unknown> }
  | { readonly event: string; readonly payload: unknown };

/** Reads one server frame; anything malformed is dropped rather than crashing the UI. */
function parseFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const frame = value as Record<string, unknown>;
  if (typeof frame.event === 'string') return { event: frame.event, payload: frame.payload };
  if (typeof frame.id === 'number' && isResult(frame.result)) return { id: frame.id, result: frame.result };
  return null;
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Record<string, unknown>;
  if (result.ok === true) return true;
  return result.ok === false && typeof result.error === 'object' && result.error !== null;
}
