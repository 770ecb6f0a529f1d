/**
 * The serial console on the Devices screen: which port is open, whether the technician may type,
 * and the device's output, handed to the terminal view as it arrives ('console.output' events).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConsoleView, DeckhandApi } from '../bridge';
import type { AppErrorData } from '../../../core/result';

/** Console state and actions. */
export interface ConsoleState {
  /** The open console, or null. */
  readonly console: ConsoleView | null;
  readonly busy: boolean;
  readonly error: AppErrorData | null;
  /** Why the port went away on its own (unplugged, the device end closed), until the next open. */
  readonly ended: string | null;
  readonly open: (port: string, baud: number) => Promise<void>;
  readonly setInteractive: (interactive: boolean) => Promise<void>;
  /** Sends typed text; ignored while read-only. */
  readonly send: (data: string) => Promise<void>;
  readonly close: () => Promise<void>;
  readonly dismissError: () => void;
  /** Calls `listener` with the open console's output; returns the unsubscribe function. */
  readonly onOutput: (listener: (data: string) => void) => () => void;
  /** Listens for console events; returns the unsubscribe function. */
  readonly subscribe: () => () => void;
}

type ConsoleApi = Pick<DeckhandApi, 'console.open' | 'console.write' | 'console.close' | 'on'>;

/** Creates the store over the console verbs and events. */
export function createConsoleStore(api: ConsoleApi): StoreApi<ConsoleState> {
  const outputListeners = new Set<(data: string) => void>();
  return createStore<ConsoleState>()((set, get) => ({
    console: null,
    busy: false,
    error: null,
    ended: null,

    open: async (port, baud) => {
      if (get().busy) return;
      set({ busy: true, error: null, ended: null });
      const current = get().console;
      if (current !== null && current.port !== port)
        await api['console.close']({ consoleId: current.consoleId });
      const result = await api['console.open']({ port, baud });
      set(
        result.ok
          ? { console: result.value, busy: false }
          : { console: null, error: result.error, busy: false },
      );
    },

    setInteractive: async (interactive) => {
      const current = get().console;
      if (current === null || get().busy) return;
      set({ busy: true, error: null });
      const result = await api['console.open']({ port: current.port, baud: current.baud, interactive });
      set(result.ok ? { console: result.value, busy: false } : { error: result.error, busy: false });
    },

    send: async (data) => {
      const current = get().console;
      if (current === null || !current.interactive) return;
      const result = await api['console.write']({ consoleId: current.consoleId, data });
      if (!result.ok) set({ error: result.error });
    },

    close: async () => {
      const current = get().console;
      if (current === null) return;
      set({ console: null, error: null });
      await api['console.close']({ consoleId: current.consoleId });
    },

    dismissError: () => set({ error: null }),

    onOutput: (listener) => {
      outputListeners.add(listener);
      return () => outputListeners.delete(listener);
    },

    subscribe: () => {
      const offOutput = api.on('console.output', (payload) => {
        if (payload.consoleId !== get().console?.consoleId) return;
        for (const listener of outputListeners) listener(payload.data);
      });
      const offClosed = api.on('console.closed', (payload) => {
        if (payload.consoleId !== get().console?.consoleId) return;
        set({ console: null, ended: payload.reason });
      });
      return () => {
        offOutput();
        offClosed();
      };
    },
  }));
}
