/** Creates Deckhand's window: sandboxed, isolated, no Node, loading only the app's own origin. */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';
import { isTrustedOrigin } from './app-origin';
import { hardenWebContents, type HardenableWebContents, type HardeningOptions } from './web-hardening';

/** Background colours matching the renderer's themes, so the window does not flash white. */
export const WINDOW_BACKGROUND = { dark: '#111113', light: '#ffffff' } as const;

/** The security settings of every Deckhand renderer; a test asserts each one. */
export function secureWebPreferences(preloadPath: string, devTools: boolean): WebPreferences {
  return {
    preload: preloadPath,
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
    safeDialogs: true,
    devTools,
  };
}

/** Everything the window needs to know about where it runs. */
export interface MainWindowOptions extends HardeningOptions {
  readonly preloadPath: string;
  /** The renderer page, `app://deckhand/index.html` unless running against the dev server. */
  readonly entryUrl: string;
  readonly darkMode: boolean;
  /** DevTools only in unpackaged builds. */
  readonly devTools: boolean;
}

/** Constructor options for the main window. */
export function mainWindowConstructorOptions(options: MainWindowOptions): BrowserWindowConstructorOptions {
  return {
    title: 'Deckhand',
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: options.darkMode ? WINDOW_BACKGROUND.dark : WINDOW_BACKGROUND.light,
    webPreferences: secureWebPreferences(options.preloadPath, options.devTools),
  };
}

/** The BrowserWindow constructor, injected so tests can pass a fake. */
export type BrowserWindowConstructor<W> = new (options: BrowserWindowConstructorOptions) => W;

/** The window members the factory uses; Electron's BrowserWindow satisfies it, and so can a fake. */
export interface FactoryWindow {
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  loadURL(url: string): Promise<void>;
  readonly webContents: HardenableWebContents;
}

/**
 * Creates, hardens and loads the main window; shows it once its first frame is ready. The URL must
 * be the app's own origin (the caller passes it from `resolveRendererEntry`), never file://.
 */
export function createMainWindow<W extends FactoryWindow>(
  Window: BrowserWindowConstructor<W>,
  options: MainWindowOptions,
): W {
  if (!isTrustedOrigin(options.entryUrl, options.trustedOrigins)) {
    throw new Error(`Refusing to load ${options.entryUrl}: the window loads only the app's own origin.`);
  }
  const window = new Window(mainWindowConstructorOptions(options));
  // Harden before loading, so the first navigation is already guarded.
  hardenWebContents(window.webContents, options);
  window.once('ready-to-show', () => window.show());
  window
    .loadURL(options.entryUrl)
    .catch((error: unknown) => console.error('deckhand: the window failed to load', error));
  return window;
}
