import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { DeckhandError } from '../../../../core/result';
import { verbChannel } from '../../../../main/ipc/contract';
import type { BackendOptions } from '../../../../main/services/backend';
import { createEventBus } from '../../../../main/services/event-bus';
import * as electronModule from 'electron';
import * as desktop from '../../../../main/electron/desktop-app';
import { resetFakeElectron, type FakeElectron } from './fake-electron';

vi.mock('electron', async () => (await import('./fake-electron')).createFakeElectronModule());

const mainDir = resolve('/opt/deckhand/out/main');

const electron = electronModule as unknown as FakeElectron;

/** Gives each start a fresh fake Electron (a new app, no windows, no IPC handlers). */
function load() {
  resetFakeElectron(electron);
  return { electron, desktop };
}

function fakeBackend(_options?: BackendOptions): desktop.DesktopBackend & { close: Mock<() => void> } {
  return {
    handlers: {
      'app.info': () => ({
        name: 'Deckhand',
        version: '1.2.3',
        dataDir: '/d',
        host: 'electron',
        platform: 'linux',
      }),
      'logs.query': () => ({ total: 0, rows: [] }),
      'logs.facets': () => ({ kinds: [], devices: [] }),
      'logs.verify': () => ({ ok: true }) as never,
      'bundles.list': () => ({ trust: null, imports: [] }),
      'bundles.import': () => ({}) as never,
      'bundles.cancelImport': () => ({ cancelled: false }),
      'bundles.offers': () => ({ offers: [] }),
      'bundles.pickFile': () => ({ path: null }),
      'sync.status': () => ({}) as never,
      'sync.enrol': () => ({}) as never,
      'sync.now': () => ({}) as never,
      'sync.cancel': () => ({ cancelled: false }),
      'devices.list': () => ({ devices: [] }),
      'devices.add': () => ({}) as never,
      'devices.remove': () => ({ removed: false }),
      'devices.refresh': () => ({ devices: [] }),
      'devices.confirmFingerprint': () => ({}) as never,
      'deploy.targets': () => ({ targets: [] }),
      'deploy.plan': () => ({}) as never,
      'deploy.start': () => ({}) as never,
      'deploy.cancel': () => ({ cancelled: false }),
      'deploy.runs': () => ({ runs: [] }),
      'deploy.retry': () => ({}) as never,
      'deploy.rollback': () => ({ detail: '' }),
      'overview.summary': () => ({ devices: [], dora: [] }),
      'diagnostics.device': () => ({ inferenceUrl: null, samplerSource: null, models: [] }),
      'diagnostics.start': () => ({ runId: '' }),
      'diagnostics.cancel': () => ({ cancelled: false }),
      'diagnostics.runs': () => ({ runs: [] }),
      'diagnostics.run': () => ({}) as never,
      'diagnostics.export': () => ({ fileName: '', mediaType: '', content: '' }),
      'console.open': () => ({}) as never,
      'console.write': () => ({ written: 0 }),
      'console.close': () => ({ closed: false }),
    },
    events: createEventBus(),
    close: vi.fn<() => void>(),
  };
}

const settle = () => new Promise((resolveTick) => setImmediate(resolveTick));

describe('startDesktopApp', () => {
  const electronVersion = process.versions['electron'];
  beforeEach(() => {
    Object.defineProperty(process.versions, 'electron', {
      value: '45.5.0',
      configurable: true,
      enumerable: true,
    });
  });
  afterEach(() => {
    Object.defineProperty(process.versions, 'electron', {
      value: electronVersion,
      configurable: true,
      enumerable: true,
    });
  });

  it('quits at once when another instance holds the lock, touching nothing else', async () => {
    const { electron, desktop } = load();
    electron.app.requestSingleInstanceLock.mockReturnValueOnce(false);
    const openBackend = vi.fn();
    expect(desktop.startDesktopApp({ openBackend, argv: [], env: {}, mainDir })).toBe(false);
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    expect(electron.app.whenReady).not.toHaveBeenCalled();
    expect(electron.protocol.registerSchemesAsPrivileged).not.toHaveBeenCalled();
    expect(openBackend).not.toHaveBeenCalled();
  });

  it('registers the scheme and the sandbox before ready, then wires backend, IPC, menu and window', async () => {
    const { electron, desktop } = load();
    const backend = fakeBackend();
    const openBackend = vi.fn(() => backend);
    expect(
      desktop.startDesktopApp({
        openBackend,
        argv: ['/opt/deckhand/deckhand', '--data-dir', '/tmp/site-42'],
        env: {},
        mainDir,
        platform: 'linux',
      }),
    ).toBe(true);
    expect(electron.protocol.registerSchemesAsPrivileged).toHaveBeenCalledTimes(1);
    expect(electron.app.enableSandbox).toHaveBeenCalledTimes(1);
    expect(openBackend).not.toHaveBeenCalled();

    electron.app.becomeReady();
    await settle();

    expect(openBackend).toHaveBeenCalledWith(
      expect.objectContaining({
        dataDir: resolve('/tmp/site-42'),
        host: 'electron',
        version: '1.2.3',
        nativeBinding: undefined,
        // Bundles: an org build's root slot, the removable-drive watcher and the native file dialog.
        orgTrustRoot: '/fake/app/resources/trust/root.json',
        watchDrives: true,
        pickBundleFile: expect.any(Function),
      }),
    );
    expect(electron.protocol.handle).toHaveBeenCalledWith('app', expect.any(Function));
    expect(electron.session.defaultSession.setPermissionRequestHandler).toHaveBeenCalled();
    expect(electron.Menu.setApplicationMenu).toHaveBeenCalledTimes(1);

    const [window] = electron.BrowserWindow.created;
    expect(electron.BrowserWindow.created).toHaveLength(1);
    expect(window?.loadURL).toHaveBeenCalledWith('app://deckhand/index.html');
    expect(window?.options['webPreferences'].preload).toBe(resolve('/opt/deckhand/out/preload/index.cjs'));
    expect(window?.options['webPreferences'].devTools).toBe(false);

    // The window we created is the one IPC trusts.
    const handler = electron.ipcMain.handlers.get(verbChannel('app.info'));
    const result = await handler?.(
      {
        sender: { id: window?.webContents.id },
        senderFrame: { url: 'app://deckhand/index.html', parent: null },
      },
      undefined,
    );
    expect(result).toMatchObject({ ok: true, value: { name: 'Deckhand' } });

    // A second launch focuses it.
    electron.app.emit('second-instance');
    expect(window?.focus).toHaveBeenCalledTimes(1);

    // Closing the last window quits (not on macOS); quitting closes the backend once.
    electron.app.emit('window-all-closed');
    expect(electron.app.quit).toHaveBeenCalledTimes(1);
    electron.app.emit('will-quit');
    electron.app.emit('will-quit');
    expect(backend.close).toHaveBeenCalledTimes(1);
    expect(electron.ipcMain.handlers.size).toBe(0);
  });

  it('uses DECKHAND_DATA_DIR, else Electron userData', async () => {
    const first = load();
    const openA = vi.fn(fakeBackend);
    first.desktop.startDesktopApp({
      openBackend: openA,
      argv: [],
      env: { DECKHAND_DATA_DIR: '/srv/dh' },
      mainDir,
    });
    first.electron.app.becomeReady();
    await settle();
    expect(openA.mock.calls[0]?.[0]).toMatchObject({ dataDir: resolve('/srv/dh') });

    const second = load();
    const openB = vi.fn(fakeBackend);
    second.desktop.startDesktopApp({ openBackend: openB, argv: [], env: {}, mainDir });
    second.electron.app.becomeReady();
    await settle();
    expect(openB.mock.calls[0]?.[0]).toMatchObject({ dataDir: '/fake/userData' });
  });

  it('shows the technician-facing message and exits 1 when the backend refuses to open', async () => {
    const { electron, desktop } = load();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const openBackend = vi.fn(() => {
      throw new DeckhandError(
        'db_locked',
        'Another program is using the Deckhand database. Close it and try again.',
      );
    });
    desktop.startDesktopApp({ openBackend, argv: [], env: {}, mainDir });
    electron.app.becomeReady();
    await settle();
    expect(electron.dialog.showErrorBox).toHaveBeenCalledWith(
      'Deckhand cannot start',
      expect.stringContaining('Another program is using the Deckhand database'),
    );
    expect(electron.app.exit).toHaveBeenCalledWith(1);
    expect(electron.BrowserWindow.created).toHaveLength(0);
    expect(electron.ipcMain.handlers.size).toBe(0);
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });

  describe('unpackaged', () => {
    let appPath: string;
    beforeEach(() => {
      appPath = mkdtempSync(join(tmpdir(), 'deckhand-app-'));
    });
    afterEach(() => rmSync(appPath, { recursive: true, force: true }));

    it('passes the Electron build of better-sqlite3 from .cache/electron-native', async () => {
      const { electron, desktop } = load();
      Object.assign(electron.app, { isPackaged: false });
      electron.app.getAppPath.mockReturnValue(appPath);
      const binding = join(
        appPath,
        '.cache',
        'electron-native',
        '45.5.0',
        'better-sqlite3',
        'build',
        'Release',
        'better_sqlite3.node',
      );
      mkdirSync(dirname(binding), { recursive: true });
      writeFileSync(binding, '');
      const openBackend = vi.fn(fakeBackend);
      desktop.startDesktopApp({ openBackend, argv: [], env: {}, mainDir });
      electron.app.becomeReady();
      await settle();
      expect(openBackend.mock.calls[0]?.[0]).toMatchObject({ nativeBinding: binding });
      expect(electron.BrowserWindow.created[0]?.options['webPreferences'].devTools).toBe(true);
    });

    it('explains how to build it when it is missing', async () => {
      const { electron, desktop } = load();
      Object.assign(electron.app, { isPackaged: false });
      electron.app.getAppPath.mockReturnValue(appPath);
      const openBackend = vi.fn(fakeBackend);
      desktop.startDesktopApp({ openBackend, argv: [], env: {}, mainDir });
      electron.app.becomeReady();
      await settle();
      expect(openBackend).not.toHaveBeenCalled();
      expect(electron.dialog.showErrorBox).toHaveBeenCalledWith(
        'Deckhand cannot start',
        expect.stringContaining('prepare-electron-native'),
      );
      expect(electron.app.exit).toHaveBeenCalledWith(1);
    });
  });
});

describe('helpers', () => {
  it('reads --data-dir in both spellings', async () => {
    const { desktop } = load();
    expect(desktop.dataDirFlag(['x', '--data-dir', '/a'])).toBe('/a');
    expect(desktop.dataDirFlag(['x', '--data-dir=/b'])).toBe('/b');
    expect(desktop.dataDirFlag(['x'])).toBeUndefined();
  });

  it('finds preload and renderer beside out/main', async () => {
    const { desktop } = load();
    expect(desktop.builtPaths(mainDir)).toEqual({
      preload: resolve('/opt/deckhand/out/preload/index.cjs'),
      rendererRoot: resolve('/opt/deckhand/out/renderer'),
    });
  });
});
