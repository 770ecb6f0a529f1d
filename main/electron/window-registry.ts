/**
 * The windows Deckhand created. IPC trusts a sender only if its WebContents id is registered here,
 * and backend events are forwarded only to these windows.
 */

/** The window methods the registry and event forwarding use (a subset, so tests can pass fakes). */
export interface RegisteredWindow {
  isDestroyed(): boolean;
  readonly webContents: {
    readonly id: number;
    isDestroyed(): boolean;
    send(channel: string, ...args: unknown[]): void;
  };
  once(event: 'closed', listener: () => void): unknown;
}

/** Tracks the windows we created, by WebContents id. */
export interface WindowRegistry<W extends RegisteredWindow = RegisteredWindow> {
  /** Registers a window until it closes. */
  add(window: W): void;
  /** Whether a WebContents id belongs to one of our open windows. */
  hasWebContents(id: number): boolean;
  /** Our open windows, oldest first. */
  windows(): W[];
}

/** Creates an empty registry. */
export function createWindowRegistry<W extends RegisteredWindow>(): WindowRegistry<W> {
  const byId = new Map<number, W>();
  return {
    add(window) {
      // Read the id now: after 'closed' the WebContents is destroyed and reading it throws.
      const id = window.webContents.id;
      byId.set(id, window);
      window.once('closed', () => byId.delete(id));
    },
    hasWebContents: (id) => byId.has(id),
    windows: () => [...byId.values()].filter((window) => !window.isDestroyed()),
  };
}
