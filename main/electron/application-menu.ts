/**
 * The application menu. Reload and DevTools exist only in unpackaged builds: in the field a reload
 * would drop a running deploy's UI state, and DevTools would let anyone at the laptop script the IPC.
 */
import type { MenuItemConstructorOptions } from 'electron';

/** What the menu shows and what its items do. */
export interface MenuOptions {
  readonly appName: string;
  readonly version: string;
  readonly isPackaged: boolean;
  readonly platform: NodeJS.Platform;
  readonly showAbout: () => void;
  readonly openDocs: () => void;
}

/** The menu template; pure so tests can inspect which items exist. */
export function buildMenuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin';
  const developerItems: MenuItemConstructorOptions[] = options.isPackaged
    ? []
    : [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }, { type: 'separator' }];
  return [
    ...(isMac ? [{ role: 'appMenu' } satisfies MenuItemConstructorOptions] : []),
    { label: 'File', submenu: [isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...developerItems,
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      role: 'help',
      submenu: [
        { label: 'Deckhand Documentation', click: () => options.openDocs() },
        { type: 'separator' },
        { label: `About ${options.appName}`, click: () => options.showAbout() },
      ],
    },
  ];
}

/** The About box text. */
export function aboutMessage(
  appName: string,
  version: string,
  versions: NodeJS.ProcessVersions,
): { message: string; detail: string } {
  return {
    message: `${appName} ${version}`,
    detail: [
      `Electron ${versions['electron'] ?? 'unknown'}`,
      `Chromium ${versions['chrome'] ?? 'unknown'}`,
      `Node ${versions.node}`,
    ].join('\n'),
  };
}
