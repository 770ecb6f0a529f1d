import { describe, expect, it, vi } from 'vitest';
import {
  createMainWindow,
  secureWebPreferences,
  WINDOW_BACKGROUND,
  type MainWindowOptions,
} from '../../../../main/electron/window-factory';
import { FakeBrowserWindow, preventableEvent } from './fake-electron';

const options = (overrides: Partial<MainWindowOptions> = {}): MainWindowOptions => ({
  preloadPath: '/app/out/preload/index.cjs',
  entryUrl: 'app://deckhand/index.html',
  trustedOrigins: new Set(['app://deckhand']),
  openExternal: vi.fn(() => false),
  darkMode: false,
  devTools: false,
  ...overrides,
});

describe('secureWebPreferences', () => {
  it('sets every security option', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs', false);
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });
});

describe('createMainWindow', () => {
  it('creates a sandboxed window with the preload from out/preload and a minimum size', () => {
    const window = createMainWindow(FakeBrowserWindow, options());
    const prefs = window.options['webPreferences'];
    expect(prefs.contextIsolation).toBe(true);
    expect(prefs.sandbox).toBe(true);
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.webSecurity).toBe(true);
    expect(prefs.preload).toMatch(/out\/preload\/index\.cjs$/);
    expect(window.options['minWidth']).toBeGreaterThanOrEqual(800);
    expect(window.options['minHeight']).toBeGreaterThanOrEqual(500);
  });

  it('picks the background for the theme', () => {
    expect(createMainWindow(FakeBrowserWindow, options({ darkMode: true })).options['backgroundColor']).toBe(
      WINDOW_BACKGROUND.dark,
    );
    expect(createMainWindow(FakeBrowserWindow, options({ darkMode: false })).options['backgroundColor']).toBe(
      WINDOW_BACKGROUND.light,
    );
  });

  it('loads app://deckhand, never file://', () => {
    const window = createMainWindow(FakeBrowserWindow, options());
    expect(window.loadURL).toHaveBeenCalledTimes(1);
    expect(window.loadURL).toHaveBeenCalledWith('app://deckhand/index.html');
    expect(window.loadURL.mock.calls.flat().join()).not.toContain('file:');
  });

  it('refuses to load anything outside the trusted origins', () => {
    const created = FakeBrowserWindow.created.length;
    expect(() =>
      createMainWindow(FakeBrowserWindow, options({ entryUrl: 'file:///app/out/renderer/index.html' })),
    ).toThrow(/only the app's own origin/);
    expect(() =>
      createMainWindow(FakeBrowserWindow, options({ entryUrl: 'https://example.com/' })),
    ).toThrow();
    expect(FakeBrowserWindow.created.length).toBe(created);
  });

  it('stays hidden until ready-to-show', () => {
    const window = createMainWindow(FakeBrowserWindow, options());
    expect(window.options['show']).toBe(false);
    expect(window.show).not.toHaveBeenCalled();
    window.emit('ready-to-show');
    expect(window.show).toHaveBeenCalledTimes(1);
  });

  it('is hardened before it loads: window.open denied, navigation away prevented', () => {
    const window = createMainWindow(FakeBrowserWindow, options());
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com' })).toEqual({
      action: 'deny',
    });
    const event = preventableEvent();
    window.webContents.emit('will-navigate', event, 'https://example.com');
    expect(event.defaultPrevented).toBe(true);
    expect(window.webContents.listenerCount('will-attach-webview')).toBe(1);
  });
});
