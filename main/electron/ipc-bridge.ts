/**
 * The Electron side of the IPC contract, and the only file that touches raw `ipcMain`: one
 * `ipcMain.handle` per verb, each judging the sender and passing the request through the shared
 * gate, plus the fan-out of backend events to Deckhand's windows.
 */
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNEL, VERB_NAMES, verbChannel, type EventName, type EventPayloads } from '../ipc/contract';
import type { Gate, SenderVerdict } from '../ipc/gate';
import type { EventBus } from '../services/event-bus';
import { isTrustedOrigin } from './app-origin';
import type { RegisteredWindow } from './window-registry';

/** What the bridge learned about a request's sender, read defensively from the IPC event. */
export interface SenderFacts {
  readonly webContentsId: number | null;
  /** The sending frame, or null when it is gone (navigated away or destroyed). */
  readonly frame: { readonly url: string; readonly isMainFrame: boolean } | null;
}

/** Reads the sender from an IPC event; a frame that was disposed mid-request reads as absent. */
export function senderFactsOf(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): SenderFacts {
  let webContentsId: number | null = null;
  let frame: SenderFacts['frame'] = null;
  try {
    webContentsId = event.sender.id;
  } catch {
    webContentsId = null;
  }
  try {
    const senderFrame = event.senderFrame;
    if (senderFrame) frame = { url: senderFrame.url, isMainFrame: senderFrame.parent === null };
  } catch {
    // Electron throws when the render frame was disposed before WebFrameMain could be read.
    frame = null;
  }
  return { webContentsId, frame };
}

/** The trust rules: a live main frame, on our origin, in a window we created. */
export function judgeSender(
  facts: SenderFacts,
  isOurWebContents: (id: number) => boolean,
  trustedOrigins: ReadonlySet<string>,
): SenderVerdict {
  if (!facts.frame) return { trusted: false, reason: 'no sender frame' };
  if (!facts.frame.isMainFrame) return { trusted: false, reason: 'sent from a subframe' };
  if (!isTrustedOrigin(facts.frame.url, trustedOrigins))
    return { trusted: false, reason: 'sender is not on the app origin' };
  if (facts.webContentsId === null || !isOurWebContents(facts.webContentsId)) {
    return { trusted: false, reason: 'sender is not a Deckhand window' };
  }
  return { trusted: true };
}

/** What the bridge needs: the gate, and how to recognise our windows and origin. */
export interface IpcBridgeOptions {
  readonly gate: Gate;
  readonly isOurWebContents: (id: number) => boolean;
  readonly trustedOrigins: ReadonlySet<string>;
}

/** Registers one handler per contract verb; returns a function that removes them all. */
export function installIpcBridge(options: IpcBridgeOptions): () => void {
  for (const verb of VERB_NAMES) {
    ipcMain.handle(verbChannel(verb), (event, input: unknown) =>
      options.gate(
        verb,
        input,
        judgeSender(senderFactsOf(event), options.isOurWebContents, options.trustedOrigins),
      ),
    );
  }
  return () => {
    for (const verb of VERB_NAMES) ipcMain.removeHandler(verbChannel(verb));
  };
}

/** The message shape on EVENT_CHANNEL; the preload unwraps it for `on(name, listener)`. */
export interface EventMessage<E extends EventName = EventName> {
  readonly name: E;
  readonly payload: EventPayloads[E];
}

/** Sends every backend event to our open windows; returns the unsubscribe function. */
export function forwardEvents(events: EventBus, windows: () => readonly RegisteredWindow[]): () => void {
  return events.subscribe((name, payload) => {
    const message: EventMessage = { name, payload };
    for (const window of windows()) {
      if (!window.isDestroyed() && !window.webContents.isDestroyed())
        window.webContents.send(EVENT_CHANNEL, message);
    }
  });
}
