import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as electron from 'electron';
import { EVENT_CHANNEL, VERB_NAMES, verbChannel } from '../../../../main/ipc/contract';
import { createGate, type VerbHandlers } from '../../../../main/ipc/gate';
import {
  forwardEvents,
  installIpcBridge,
  judgeSender,
  senderFactsOf,
} from '../../../../main/electron/ipc-bridge';
import { createWindowRegistry } from '../../../../main/electron/window-registry';
import { createEventBus } from '../../../../main/services/event-bus';
import { FakeBrowserWindow, type FakeElectron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).createFakeElectronModule());
const { ipcMain } = electron as unknown as FakeElectron;

function fakeHandlers() {
  return {
    'app.info': vi.fn(() => ({
      name: 'Deckhand',
      version: '1.2.3',
      dataDir: '/data',
      host: 'electron' as const,
      platform: 'linux',
    })),
    'logs.query': vi.fn(() => ({ total: 0, rows: [] })),
    'logs.facets': vi.fn(() => ({ kinds: [], devices: [] })),
    'logs.verify': vi.fn(() => ({ ok: true }) as never),
    'sync.status': vi.fn(() => ({}) as never),
    'sync.enrol': vi.fn(() => ({}) as never),
    'sync.now': vi.fn(() => ({}) as never),
    'bundles.list': vi.fn(() => ({ trust: null, imports: [] })),
    'bundles.import': vi.fn(() => ({}) as never),
    'bundles.cancelImport': vi.fn(() => ({ cancelled: false })),
    'bundles.offers': vi.fn(() => ({ offers: [] })),
    'bundles.pickFile': vi.fn(() => ({ path: null })),
    'sync.cancel': vi.fn(() => ({ cancelled: false })),
    'devices.list': vi.fn(() => ({ devices: [] })),
    'devices.add': vi.fn(() => ({}) as never),
    'devices.remove': vi.fn(() => ({ removed: false })),
    'devices.refresh': vi.fn(() => ({ devices: [] })),
    'devices.confirmFingerprint': vi.fn(() => ({}) as never),
    'deploy.targets': vi.fn(() => ({ targets: [] })),
    'deploy.plan': vi.fn(() => ({}) as never),
    'deploy.start': vi.fn(() => ({}) as never),
    'deploy.cancel': vi.fn(() => ({ cancelled: false })),
    'deploy.runs': vi.fn(() => ({ runs: [] })),
    'deploy.retry': vi.fn(() => ({}) as never),
    'deploy.rollback': vi.fn(() => ({ detail: '' })),
    'overview.summary': vi.fn(() => ({ devices: [], dora: [] })),
    'diagnostics.device': vi.fn(() => ({ inferenceUrl: null, samplerSource: null, models: [] })),
    'diagnostics.start': vi.fn(() => ({ runId: '' })),
    'diagnostics.cancel': vi.fn(() => ({ cancelled: false })),
    'diagnostics.runs': vi.fn(() => ({ runs: [] })),
    'diagnostics.run': vi.fn(() => ({}) as never),
    'diagnostics.export': vi.fn(() => ({ fileName: '', mediaType: '', content: '' })),
    'console.open': vi.fn(() => ({}) as never),
    'console.write': vi.fn(() => ({ written: 0 })),
    'console.close': vi.fn(() => ({ closed: false })),
  } satisfies VerbHandlers;
}

/** An IPC event as Electron builds it: the sending WebContents and frame. */
function ipcEvent(senderId: number, frame: { url: string; parent: unknown } | null) {
  return { sender: { id: senderId }, senderFrame: frame };
}

describe('judgeSender', () => {
  const origins = new Set(['app://deckhand']);
  const ours = (id: number) => id === 7;
  it('trusts only the main frame of our window on the app origin', () => {
    expect(
      judgeSender(
        { webContentsId: 7, frame: { url: 'app://deckhand/index.html', isMainFrame: true } },
        ours,
        origins,
      ),
    ).toEqual({ trusted: true });
  });
  it.each([
    ['no frame', { webContentsId: 7, frame: null }],
    ['a subframe', { webContentsId: 7, frame: { url: 'app://deckhand/index.html', isMainFrame: false } }],
    ['another origin', { webContentsId: 7, frame: { url: 'https://example.com/', isMainFrame: true } }],
    ['file://', { webContentsId: 7, frame: { url: 'file:///index.html', isMainFrame: true } }],
    [
      'an unknown WebContents',
      { webContentsId: 8, frame: { url: 'app://deckhand/index.html', isMainFrame: true } },
    ],
  ])('refuses %s', (_label, facts) => {
    expect(judgeSender(facts, ours, origins).trusted).toBe(false);
  });
  it('treats a disposed frame as absent', () => {
    const event = {
      sender: { id: 7 },
      get senderFrame(): never {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
    };
    expect(senderFactsOf(event as never)).toEqual({ webContentsId: 7, frame: null });
  });
});

describe('installIpcBridge', () => {
  let handlers: ReturnType<typeof fakeHandlers>;
  let window: FakeBrowserWindow;
  let dispose: () => void;

  beforeEach(() => {
    handlers = fakeHandlers();
    const windows = createWindowRegistry<FakeBrowserWindow>();
    window = new FakeBrowserWindow({});
    windows.add(window);
    dispose = installIpcBridge({
      gate: createGate(handlers),
      isOurWebContents: windows.hasWebContents,
      trustedOrigins: new Set(['app://deckhand']),
    });
  });
  afterEach(() => dispose());

  const invoke = (verb: string, event: unknown, input?: unknown) => {
    const handler = ipcMain.handlers.get(verbChannel(verb as never));
    if (!handler) throw new Error(`no handler for ${verb}`);
    return handler(event, input) as Promise<{ ok: boolean; error?: { code: string } }>;
  };
  const mainFrame = () => ({ url: 'app://deckhand/index.html', parent: null });

  it('registers exactly one handler per contract verb', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual(VERB_NAMES.map(verbChannel).sort());
  });

  it('runs the handler for a trusted sender with valid input', async () => {
    const result = await invoke('logs.query', ipcEvent(window.webContents.id, mainFrame()), {
      offset: 0,
      limit: 10,
    });
    expect(result).toEqual({ ok: true, value: { total: 0, rows: [] } });
    expect(handlers['logs.query']).toHaveBeenCalledWith({ offset: 0, limit: 10 });
  });

  it.each([
    [
      'a foreign origin',
      () => ipcEvent(window.webContents.id, { url: 'https://evil.example/', parent: null }),
    ],
    [
      'a subframe',
      () =>
        ipcEvent(window.webContents.id, {
          url: 'app://deckhand/index.html',
          parent: { url: 'app://deckhand/index.html' },
        }),
    ],
    ['an unknown WebContents id', () => ipcEvent(window.webContents.id + 1000, mainFrame())],
    ['a missing frame', () => ipcEvent(window.webContents.id, null)],
  ])('refuses %s with untrusted_sender and runs nothing', async (_label, event) => {
    for (const verb of VERB_NAMES) {
      const result = await invoke(verb, event(), verb === 'logs.query' ? { offset: 0, limit: 1 } : undefined);
      expect(result.ok).toBe(false);
      expect(result.error?.code).toBe('untrusted_sender');
    }
    for (const handler of Object.values(handlers)) expect(handler).not.toHaveBeenCalled();
  });

  it('refuses a closed window', async () => {
    window.close();
    const result = await invoke('app.info', ipcEvent(window.webContents.id, mainFrame()));
    expect(result.error?.code).toBe('untrusted_sender');
  });

  it('refuses invalid input with invalid_input and runs nothing', async () => {
    const event = ipcEvent(window.webContents.id, mainFrame());
    for (const input of [
      { offset: -1, limit: 10 },
      { offset: 0, limit: 1_000_000 },
      { offset: 0, limit: 1, sql: 'drop table events' },
      'x',
    ]) {
      expect((await invoke('logs.query', event, input)).error?.code).toBe('invalid_input');
    }
    expect((await invoke('app.info', event, { sneaky: true })).error?.code).toBe('invalid_input');
    expect(handlers['logs.query']).not.toHaveBeenCalled();
    expect(handlers['app.info']).not.toHaveBeenCalled();
  });

  it('removes its handlers when disposed', () => {
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    dispose = () => {};
  });
});

describe('forwardEvents', () => {
  it('sends each event to our open windows only, as { name, payload }', () => {
    const bus = createEventBus();
    const windows = createWindowRegistry<FakeBrowserWindow>();
    const open = new FakeBrowserWindow({});
    const closed = new FakeBrowserWindow({});
    windows.add(open);
    windows.add(closed);
    closed.close();
    const stranger = new FakeBrowserWindow({});

    const stop = forwardEvents(bus, windows.windows);
    bus.emit('device.detached', { uri: 'tcp://10.0.0.5:7443' });
    expect(open.webContents.send).toHaveBeenCalledWith(EVENT_CHANNEL, {
      name: 'device.detached',
      payload: { uri: 'tcp://10.0.0.5:7443' },
    });
    expect(closed.webContents.send).not.toHaveBeenCalled();
    expect(stranger.webContents.send).not.toHaveBeenCalled();

    stop();
    bus.emit('device.detached', { uri: 'x' });
    expect(open.webContents.send).toHaveBeenCalledTimes(1);
  });
});
