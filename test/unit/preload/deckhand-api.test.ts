import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  EVENT_CHANNEL,
  EVENT_NAMES,
  VERB_NAMES,
  verbChannel,
  type DeckhandApi,
} from '../../../main/ipc/contract';
import { createDeckhandApi, isEventName } from '../../../preload/deckhand-api';

/** A fake ipcRenderer: records invokes and delivers messages to listeners like Electron does. */
const fakes = vi.hoisted(() => {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  const ipcRenderer = {
    invoke: vi.fn(async (channel: string, ...args: unknown[]) => ({ ok: true, value: { channel, args } })),
    on: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)?.add(listener);
      return ipcRenderer;
    }),
    removeListener: vi.fn((channel: string, listener: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    }),
    send: vi.fn(),
    sendSync: vi.fn(),
    /** Simulates main sending on a channel; the first argument is the IpcRendererEvent. */
    deliver(channel: string, message: unknown) {
      for (const listener of listeners.get(channel) ?? [])
        listener({ sender: ipcRenderer, ports: [] }, message);
    },
    listenerCount: (channel: string) => listeners.get(channel)?.size ?? 0,
  };
  const exposed = new Map<string, unknown>();
  const contextBridge = { exposeInMainWorld: vi.fn((key: string, api: unknown) => exposed.set(key, api)) };
  // Electron's webUtils: the path of a dropped File (the preload never exposes webUtils itself).
  const webUtils = { getPathForFile: vi.fn((file: { name: string }) => `/media/tech/STICK/${file.name}`) };
  return { ipcRenderer, contextBridge, exposed, webUtils };
});

vi.mock('electron', () => ({
  contextBridge: fakes.contextBridge,
  ipcRenderer: fakes.ipcRenderer,
  webUtils: fakes.webUtils,
}));

describe('preload/index.ts', () => {
  let api: DeckhandApi;
  beforeAll(async () => {
    await import('../../../preload/index');
    api = fakes.exposed.get('deckhand') as DeckhandApi;
  });

  it('exposes exactly one object, as window.deckhand', () => {
    expect(fakes.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1);
    expect([...fakes.exposed.keys()]).toEqual(['deckhand']);
  });

  it('exposes exactly the contract verbs plus on', () => {
    const surface = Object.keys(api).sort();
    expect(surface).toMatchInlineSnapshot(`
      [
        "app.info",
        "bundles.cancelImport",
        "bundles.import",
        "bundles.list",
        "bundles.offers",
        "bundles.pickFile",
        "console.close",
        "console.open",
        "console.write",
        "deploy.cancel",
        "deploy.plan",
        "deploy.retry",
        "deploy.rollback",
        "deploy.runs",
        "deploy.start",
        "deploy.targets",
        "devices.add",
        "devices.confirmFingerprint",
        "devices.list",
        "devices.refresh",
        "devices.remove",
        "diagnostics.cancel",
        "diagnostics.device",
        "diagnostics.export",
        "diagnostics.run",
        "diagnostics.runs",
        "diagnostics.start",
        "logs.facets",
        "logs.query",
        "logs.verify",
        "on",
        "overview.summary",
        "pathForFile",
        "sync.cancel",
        "sync.enrol",
        "sync.now",
        "sync.status",
      ]
    `);
    expect(surface).toEqual([...VERB_NAMES, 'on', 'pathForFile'].sort());
    for (const key of surface)
      expect(typeof (api as unknown as Record<string, unknown>)[key]).toBe('function');
  });

  it('gives the path of a dropped file, and an empty path when Electron cannot tell', () => {
    expect(api.pathForFile?.({ name: 'site-42.dhb' })).toBe('/media/tech/STICK/site-42.dhb');
    fakes.webUtils.getPathForFile.mockImplementationOnce(() => {
      throw new TypeError('not a File');
    });
    expect(api.pathForFile?.('nonsense')).toBe('');
  });

  it('never exposes ipcRenderer or a way to name a channel', () => {
    const values = Object.values(api);
    expect(values).not.toContain(fakes.ipcRenderer);
    for (const forbidden of ['invoke', 'send', 'sendSync', 'ipcRenderer', 'removeListener', 'off'])
      expect(api).not.toHaveProperty(forbidden);
    expect(Object.isFrozen(api)).toBe(true);
  });
});

describe('createDeckhandApi', () => {
  const ipc = fakes.ipcRenderer;
  const api = createDeckhandApi(ipc as never);

  it('sends each verb on its own channel with only the input', async () => {
    for (const verb of VERB_NAMES) {
      ipc.invoke.mockClear();
      const call = api[verb] as unknown as (...args: unknown[]) => Promise<unknown>;
      await call({ offset: 0, limit: 5 }, 'extra', 'arguments');
      expect(ipc.invoke).toHaveBeenCalledWith(verbChannel(verb), { offset: 0, limit: 5 });
    }
  });

  it('refuses unknown event names and non-function listeners', () => {
    ipc.on.mockClear();
    const on = api.on as unknown as (event: unknown, listener: unknown) => unknown;
    for (const name of [
      'deckhand:verb:app.info',
      'deckhand:event',
      'progress ',
      'constructor',
      '__proto__',
      '',
      undefined,
      42,
    ]) {
      expect(() => on(name, () => {}), String(name)).toThrow(/Unknown Deckhand event/);
    }
    expect(() => on('progress', 'not a function')).toThrow(/function/);
    expect(ipc.on).not.toHaveBeenCalled();
  });

  it('delivers only the named event, only its payload, until unsubscribed', () => {
    const listener = vi.fn();
    const unsubscribe = api.on('device.detached', listener);
    ipc.deliver(EVENT_CHANNEL, { name: 'progress', payload: { jobId: 'j' } });
    ipc.deliver(EVENT_CHANNEL, { name: 'device.detached', payload: { uri: 'tcp://10.0.0.5:7443' } });
    ipc.deliver(EVENT_CHANNEL, 'garbage');
    ipc.deliver(EVENT_CHANNEL, null);
    expect(listener).toHaveBeenCalledTimes(1);
    // Only the payload: the IpcRendererEvent (whose sender is ipcRenderer) never reaches the page.
    expect(listener).toHaveBeenCalledWith({ uri: 'tcp://10.0.0.5:7443' });
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(1);
    unsubscribe();
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(0);
    ipc.deliver(EVENT_CHANNEL, { name: 'device.detached', payload: { uri: 'x' } });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('knows every contract event', () => {
    for (const name of EVENT_NAMES) expect(isEventName(name)).toBe(true);
  });
});
