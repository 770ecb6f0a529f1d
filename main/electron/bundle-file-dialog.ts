/** The desktop app's side of bundle import: the native open dialog and where an org build ships its root. */
import { join } from 'node:path';
import type { BrowserWindow, Dialog } from 'electron';

/** Shows an open dialog for a `.dhb` file (or a bundle folder); resolves with its path, or null when cancelled. */
export async function openBundleDialog(
  dialog: Pick<Dialog, 'showOpenDialog'>,
  parent: () => BrowserWindow | undefined,
): Promise<string | null> {
  const options = {
    title: 'Import a bundle',
    buttonLabel: 'Import',
    filters: [{ name: 'Deckhand bundles', extensions: ['dhb'] }],
    properties: ['openFile' as const],
  };
  const window = parent();
  const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

/** An org build's pinned root: `resources/trust/root.json` (electron-builder extraResources → `trust/`). */
export function orgTrustRootPath(
  isPackaged: boolean,
  resourcesPath: string | undefined,
  appPath: string,
): string {
  return isPackaged && resourcesPath !== undefined
    ? join(resourcesPath, 'trust', 'root.json')
    : join(appPath, 'resources', 'trust', 'root.json');
}
