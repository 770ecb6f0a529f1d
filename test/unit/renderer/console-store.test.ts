/** The serial console store: open, mode changes, typing only while interactive, output and close events. */
import { describe, expect, it } from 'vitest';
import type { Result } from '../../../core/result';
import type { ConsoleView, EventName, EventPayloads, VerbInput } from '../../../main/ipc/contract';
import { createConsoleStore } from '../../../renderer/src/state/console-store';

const CONSOLE_ID = '6f1c2a8e-2b7d-4c1e-9a55-0d2f1b3c4d5e';

function fakeApi() {
  const calls: { verb: string; input: unknown }[] = [];
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let view: ConsoleView | null = null;
  const reply = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value });
  const api = {
    'console.open': (input: VerbInput<'console.open'>) => {
      calls.push({ verb: 'console.open', input });
      view = {
        consoleId: CONSOLE_ID,
        port: input.port,
        baud: input.baud ?? 115200,
        interactive: input.interactive ?? false,
      };
      return reply(view);
    },
    'console.write': (input: VerbInput<'console.write'>) => {
      calls.push({ verb: 'console.write', input });
      return reply({ written: input.data.length });
    },
    'console.close': (input: VerbInput<'console.close'>) => {
      calls.push({ verb: 'console.close', input });
      return reply({ closed: true });
    },
    on: <E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) => {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      return () => set.delete(listener as (payload: unknown) => void);
    },
  };
  const emit = <E extends EventName>(event: E, payload: EventPayloads[E]): void => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };
  return { api, calls, emit };
}

describe('console store', () => {
  it('opens read-only, hands output to the terminal, and types only once interactive', async () => {
    const { api, calls, emit } = fakeApi();
    const store = createConsoleStore(api);
    const unsubscribe = store.getState().subscribe();
    const seen: string[] = [];
    store.getState().onOutput((data) => seen.push(data));

    await store.getState().open('/dev/ttyUSB0', 115200);
    expect(store.getState().console).toMatchObject({ port: '/dev/ttyUSB0', interactive: false });
    emit('console.output', { consoleId: CONSOLE_ID, data: 'U-Boot 2024.01\n' });
    emit('console.output', { consoleId: 'another-console', data: 'not ours' });
    expect(seen).toEqual(['U-Boot 2024.01\n']);

    await store.getState().send('ignored while read-only');
    expect(calls.filter((c) => c.verb === 'console.write')).toEqual([]);
    await store.getState().setInteractive(true);
    expect(store.getState().console?.interactive).toBe(true);
    await store.getState().send('root\r');
    expect(calls.filter((c) => c.verb === 'console.write')).toEqual([
      { verb: 'console.write', input: { consoleId: CONSOLE_ID, data: 'root\r' } },
    ]);

    emit('console.closed', { consoleId: CONSOLE_ID, reason: 'read EIO' });
    expect(store.getState().console).toBeNull();
    expect(store.getState().ended).toBe('read EIO');
    unsubscribe();
  });

  it('closes the open console when the technician closes it', async () => {
    const { api, calls } = fakeApi();
    const store = createConsoleStore(api);
    await store.getState().open('/dev/ttyACM0', 9600);
    await store.getState().close();
    expect(store.getState().console).toBeNull();
    expect(calls.at(-1)).toEqual({ verb: 'console.close', input: { consoleId: CONSOLE_ID } });
  });
});
