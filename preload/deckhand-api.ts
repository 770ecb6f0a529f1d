/**
 * Builds `window.deckhand` from the contract: one function per verb and `on` for the contract's
 * events. It never hands out ipcRenderer, the IPC event object (whose `sender` is ipcRenderer) or a
 * way to name a channel, so a compromised page can do only what the verbs allow.
 */
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { DeckhandApi } from '../main/ipc/contract';
import { EVENT_CHANNEL, EVENT_NAMES, VERB_NAMES, verbChannel, type EventName } from '../main/ipc/channels';

/** The two ipcRenderer capabilities the API is built on. */
export type PreloadIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

const KNOWN_EVENTS: ReadonlySet<string> = new Set(EVENT_NAMES);

/** Whether a value is one of the contract's event names. */
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && KNOWN_EVENTS.has(value);
}

/**
 * Creates the frozen API object exposed to the renderer. `pathForFile` (Electron's
 * webUtils.getPathForFile) lets the Bundles screen import a dropped file by its path.
 */
export function createDeckhandApi(ipc: PreloadIpc, pathForFile?: (file: never) => string): DeckhandApi {
  const api: Record<string, unknown> = {};
  for (const verb of VERB_NAMES) {
    const channel = verbChannel(verb);
    // Only the input crosses; extra arguments from the page are dropped.
    api[verb] = (input: unknown) => ipc.invoke(channel, input);
  }
  api['on'] = (event: unknown, listener: unknown) => {
    if (!isEventName(event)) throw new TypeError(`Unknown Deckhand event: ${String(event)}`);
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function.');
    const forward = (_ipcEvent: IpcRendererEvent, message: unknown): void => {
      if (typeof message !== 'object' || message === null) return;
      const { name, payload } = message as { name?: unknown; payload?: unknown };
      if (name === event) (listener as (payload: unknown) => void)(payload);
    };
    ipc.on(EVENT_CHANNEL, forward);
    return () => {
      ipc.removeListener(EVENT_CHANNEL, forward);
    };
  };
  if (pathForFile !== undefined) {
    api['pathForFile'] = (file: unknown) => {
      try {
        return pathForFile(file as never);
      } catch {
        return '';
      }
    };
  }
  // The map is built from VERB_NAMES plus `on` (and the optional pathForFile): DeckhandApi's key set.
  return Object.freeze(api) as unknown as DeckhandApi;
}
