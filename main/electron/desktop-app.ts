/**
 * The desktop app's lifecycle: single instance, privileged scheme, hardening, then on `ready` the
 * backend, the IPC bridge, the menu and the window. main/index.ts passes in the backend factory, so
 * this folder wires Electron without depending on how services are built.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  Menu,
  nativeTheme,
  protocol,
  safeStorage,
  session,
  shell,
} from 'electron';
import { createGate } from '../ipc/gate';
import type { Backend, BackendOptions } from '../services/backend';
import type { KeyProtector } from '../services/technician-key';
import { resolveDataDir } from '../services/data-dir';
import { aboutMessage, buildMenuTemplate } from './application-menu';
import { openBundleDialog, orgTrustRootPath } from './bundle-file-dialog';
import { resolveRendererEntry } from './app-origin';
import { handleAppProtocol, registerAppScheme } from './app-protocol';
import { DOCS_URL, openExternalSafely } from './external-links';
import { forwardEvents, installIpcBridge } from './ipc-bridge';
import { electronNativeBindingPath } from './native-binding';
import { claimSingleInstance } from './single-instance';
import { missingNativeBindingFailure, startupFailure, type StartupFailure } from './startup-failure';
import { hardenSession } from './web-hardening';
import { createSafeStorageProtector } from './safe-storage-protector';
import { createMainWindow } from './window-factory';
import { createWindowRegistry } from './window-registry';

/** The part of the backend the desktop shell uses. */
export type DesktopBackend = Pick<Backend, 'handlers' | 'events' | 'close'>;

/** What main/index.ts hands the desktop app. */
export interface DesktopAppOptions {
  readonly openBackend: (options: BackendOptions) => DesktopBackend;
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** The folder of the built main bundle (out/main); preload and renderer sit beside it. */
  readonly mainDir: string;
  readonly platform?: NodeJS.Platform;
}

/** Where the built preload and renderer are, relative to out/main. */
export function builtPaths(mainDir: string): { readonly preload: string; readonly rendererRoot: string } {
  return { preload: resolve(mainDir, '../preload/index.cjs'), rendererRoot: resolve(mainDir, '../renderer') };
}

/** The value of `--data-dir DIR` or `--data-dir=DIR`, if given. */
export function dataDirFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--data-dir') return argv[i + 1];
    if (arg?.startsWith('--data-dir=')) return arg.slice('--data-dir='.length);
  }
  return undefined;
}

/**
 * The Electron-ABI better-sqlite3 to load: none when packaged (electron-builder rebuilt the one in
 * the app), else the copy scripts/prepare-electron-native.mjs built under .cache/.
 */
export function nativeBindingFor(
  isPackaged: boolean,
  projectRoot: string,
  electronVersion: string,
): string | undefined {
  return isPackaged ? undefined : electronNativeBindingPath(projectRoot, electronVersion);
}

/**
 * Starts Deckhand. Returns false when another instance already runs (this one then quits).
 * Must run before `ready`: scheme privileges and the sandbox switch are only honoured then.
 */
export function startDesktopApp(options: DesktopAppOptions): boolean {
  const platform = options.platform ?? process.platform;
  const windows = createWindowRegistry<BrowserWindow>();
  if (!claimSingleInstance(app, () => windows.windows()[0])) return false;

  registerAppScheme(protocol);
  app.enableSandbox();
  // Defence in depth for any web contents we did not create ourselves (e.g. DevTools).
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });

  const fatal = (failure: StartupFailure): void => {
    dialog.showErrorBox(failure.title, failure.message);
    app.exit(1);
  };

  app
    .whenReady()
    .then(() => {
      const dataDir = resolveDataDir({
        flag: dataDirFlag(options.argv),
        env: options.env,
        electronUserData: app.getPath('userData'),
      });
      const nativeBinding = nativeBindingFor(
        app.isPackaged,
        app.getAppPath(),
        process.versions.electron ?? '',
      );
      if (nativeBinding !== undefined && !existsSync(nativeBinding))
        return fatal(missingNativeBindingFailure(nativeBinding));

      let backend: DesktopBackend;
      try {
        backend = options.openBackend({
          dataDir,
          host: 'electron',
          version: app.getVersion(),
          nativeBinding,
          keyProtector: keychainProtector(),
          // process.resourcesPath is Electron's; plain Node (tests) has none.
          orgTrustRoot: orgTrustRootPath(
            app.isPackaged,
            process.resourcesPath as string | undefined,
            app.getAppPath(),
          ),
          watchDrives: true,
          pickBundleFile: () => openBundleDialog(dialog, () => windows.windows()[0]),
        });
      } catch (thrown) {
        console.error('deckhand: the backend failed to open', thrown);
        return fatal(startupFailure(thrown, dataDir));
      }

      hardenSession(session.defaultSession);
      const paths = builtPaths(options.mainDir);
      handleAppProtocol(protocol, paths.rendererRoot);
      const entry = resolveRendererEntry(app.isPackaged, options.env);
      const openExternal = (url: string): boolean => openExternalSafely(shell, url);

      const gate = createGate(backend.handlers, (verb, thrown) =>
        console.error(`deckhand: ${verb} failed`, thrown),
      );
      const disposeIpc = installIpcBridge({
        gate,
        isOurWebContents: windows.hasWebContents,
        trustedOrigins: entry.trustedOrigins,
      });
      const stopEvents = forwardEvents(backend.events, windows.windows);

      const appName = app.getName();
      const version = app.getVersion();
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          buildMenuTemplate({
            appName,
            version,
            isPackaged: app.isPackaged,
            platform,
            openDocs: () => openExternal(DOCS_URL),
            showAbout: () => {
              void dialog.showMessageBox({
                type: 'info',
                title: `About ${appName}`,
                buttons: ['OK'],
                ...aboutMessage(appName, version, process.versions),
              });
            },
          }),
        ),
      );

      const openWindow = (): void => {
        const window = createMainWindow(BrowserWindow, {
          preloadPath: paths.preload,
          entryUrl: entry.url,
          trustedOrigins: entry.trustedOrigins,
          openExternal,
          darkMode: nativeTheme.shouldUseDarkColors,
          devTools: !app.isPackaged,
        });
        windows.add(window);
      };
      openWindow();

      app.on('activate', () => {
        if (windows.windows().length === 0) openWindow();
      });
      app.on('window-all-closed', () => {
        // macOS keeps apps running without windows; elsewhere closing the last window quits.
        if (platform !== 'darwin') app.quit();
      });
      let closed = false;
      app.on('will-quit', () => {
        if (closed) return;
        closed = true;
        stopEvents();
        disposeIpc();
        backend.close();
      });
    })
    .catch((thrown: unknown) => {
      console.error('deckhand: startup failed', thrown);
      fatal(startupFailure(thrown, '(not yet known)'));
    });
  return true;
}

/** The technician key's protector: the OS keychain through safeStorage, or none where it is missing. */
function keychainProtector(): KeyProtector | null {
  try {
    return createSafeStorageProtector(() => safeStorage);
  } catch {
    return null;
  }
}
