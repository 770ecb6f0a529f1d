// @vitest-environment jsdom
import './setup';
import { describe, expect, it, vi } from 'vitest';
import { VERB_NAMES, type DeckhandApi } from '../../../main/ipc/contract';
import {
  CONNECTION_LOST,
  VERBS,
  connectSocketBridge,
  openBridge,
  type ConnectionState,
  type SocketLike,
} from '../../../renderer/src/bridge';

/** A WebSocket stand-in the test opens, closes and answers by hand. */
class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: unknown[] = [];
  private readonly listeners = new Map<string, ((event: { readonly data: unknown }) => void)[]>();

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send before open');
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.fire('close');
  }
  addEventListener(type: string, listener: (event: { readonly data: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  open(): void {
    this.readyState = 1;
    this.fire('open');
  }
  receive(frame: unknown): void {
    this.fire('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  drop(): void {
    this.readyState = 3;
    this.fire('close');
  }
  private fire(type: string, event: { readonly data: unknown } = { data: undefined }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

describe('socket bridge', () => {
  it('exposes exactly the contract verbs', () => {
    expect([...VERBS].sort()).toEqual([...VERB_NAMES].sort());
    const { api } = connectSocketBridge(new FakeSocket());
    for (const verb of VERB_NAMES) expect(typeof api[verb]).toBe('function');
  });

  it('queues calls until the socket opens, then sends them in order', async () => {
    const socket = new FakeSocket();
    const bridge = connectSocketBridge(socket);
    expect(bridge.getState()).toBe('connecting');

    const info = bridge.api['app.info'](undefined);
    const page = bridge.api['logs.query']({ offset: 0, limit: 10 });
    expect(socket.sent).toEqual([]);

    socket.open();
    expect(bridge.getState()).toBe('open');
    expect(socket.sent).toEqual([
      { id: 1, verb: 'app.info' },
      { id: 2, verb: 'logs.query', input: { offset: 0, limit: 10 } },
    ]);

    // Replies arrive out of order; each resolves the call with its id.
    socket.receive({ id: 2, result: { ok: true, value: { total: 0, rows: [] } } });
    socket.receive({ id: 1, result: { ok: false, error: { code: 'internal', message: 'boom' } } });
    await expect(page).resolves.toEqual({ ok: true, value: { total: 0, rows: [] } });
    await expect(info).resolves.toEqual({ ok: false, error: { code: 'internal', message: 'boom' } });
  });

  it('ignores malformed frames and replies to unknown ids', async () => {
    const socket = new FakeSocket();
    const bridge = connectSocketBridge(socket);
    socket.open();
    const call = bridge.api['logs.facets'](undefined);
    socket.receive('not json');
    socket.receive({ id: 99, result: { ok: true, value: 1 } });
    socket.receive({ id: null, result: { ok: false, error: { code: 'invalid_input', message: 'x' } } });
    socket.receive({ id: 1, result: 'nonsense' });
    socket.receive({ id: 1, result: { ok: true, value: { kinds: ['a'], devices: [] } } });
    await expect(call).resolves.toEqual({ ok: true, value: { kinds: ['a'], devices: [] } });
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const socket = new FakeSocket();
    const bridge = connectSocketBridge(socket);
    socket.open();
    const appended = vi.fn();
    const detached = vi.fn();
    const off = bridge.api.on('log.appended', appended);
    bridge.api.on('device.detached', detached);

    socket.receive({ event: 'log.appended', payload: { seq: 7, kind: 'deploy.started', device: null } });
    expect(appended).toHaveBeenCalledWith({ seq: 7, kind: 'deploy.started', device: null });
    expect(detached).not.toHaveBeenCalled();

    off();
    socket.receive({ event: 'log.appended', payload: { seq: 8, kind: 'x', device: null } });
    expect(appended).toHaveBeenCalledTimes(1);
  });

  it('fails pending and later calls when the connection drops, and reports the state', async () => {
    const socket = new FakeSocket();
    const bridge = connectSocketBridge(socket);
    const states: ConnectionState[] = [];
    bridge.onStateChange((state) => states.push(state));
    socket.open();
    const pending = bridge.api['logs.verify'](undefined);
    const queuedBeforeDrop = bridge.api['app.info'](undefined);

    socket.drop();
    await expect(pending).resolves.toEqual(CONNECTION_LOST);
    await expect(queuedBeforeDrop).resolves.toEqual(CONNECTION_LOST);
    expect(CONNECTION_LOST).toEqual({
      ok: false,
      error: { code: 'internal', message: 'Lost the connection to Deckhand. Reload the page.' },
    });
    expect(bridge.getState()).toBe('lost');
    expect(states).toEqual(['open', 'lost']);

    await expect(bridge.api['logs.facets'](undefined)).resolves.toEqual(CONNECTION_LOST);
    expect(socket.sent).toHaveLength(2);
  });

  it('fails calls queued before the socket ever opened', async () => {
    const socket = new FakeSocket();
    const bridge = connectSocketBridge(socket);
    const queued = bridge.api['app.info'](undefined);
    socket.drop();
    await expect(queued).resolves.toEqual(CONNECTION_LOST);
    expect(socket.sent).toEqual([]);
  });
});

describe('openBridge', () => {
  it('uses the preload API when window.deckhand exists and opens no socket', async () => {
    const info = {
      name: 'Deckhand',
      version: '1',
      dataDir: '/d',
      host: 'electron',
      platform: 'linux',
    } as const;
    const preload = {
      'app.info': vi.fn(async () => ({ ok: true, value: info })),
      on: vi.fn(() => () => undefined),
    };
    const createSocket = vi.fn();
    const bridge = openBridge(
      { deckhand: preload as unknown as DeckhandApi, location: { protocol: 'app:', host: 'deckhand' } },
      createSocket,
    );
    await expect(bridge.api['app.info'](undefined)).resolves.toEqual({ ok: true, value: info });
    expect(preload['app.info']).toHaveBeenCalledOnce();
    expect(createSocket).not.toHaveBeenCalled();
    expect(bridge.getState()).toBe('open');
  });

  it('connects to /bridge on the page host, with wss under https', () => {
    const urls: string[] = [];
    const create = (url: string) => {
      urls.push(url);
      return new FakeSocket();
    };
    openBridge({ location: { protocol: 'http:', host: '127.0.0.1:4567' } }, create);
    openBridge({ location: { protocol: 'https:', host: 'deckhand.local' } }, create);
    expect(urls).toEqual(['ws://127.0.0.1:4567/bridge', 'wss://deckhand.local/bridge']);
  });
});
