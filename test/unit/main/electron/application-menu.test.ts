import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import {
  aboutMessage,
  buildMenuTemplate,
  type MenuOptions,
} from '../../../../main/electron/application-menu';

const options = (overrides: Partial<MenuOptions> = {}): MenuOptions => ({
  appName: 'Deckhand',
  version: '1.2.3',
  isPackaged: true,
  platform: 'linux',
  showAbout: vi.fn(),
  openDocs: vi.fn(),
  ...overrides,
});

/** Every role and label in the template, depth first. */
function flatten(items: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}
const roles = (items: readonly MenuItemConstructorOptions[]) =>
  flatten(items)
    .map((item) => item.role)
    .filter(Boolean);

describe('buildMenuTemplate', () => {
  it('has no reload or DevTools when packaged', () => {
    const found = roles(buildMenuTemplate(options({ isPackaged: true })));
    expect(found).not.toContain('reload');
    expect(found).not.toContain('forceReload');
    expect(found).not.toContain('toggleDevTools');
    expect(found).toEqual(
      expect.arrayContaining(['quit', 'zoomIn', 'zoomOut', 'resetZoom', 'togglefullscreen']),
    );
  });

  it('offers reload and DevTools when unpackaged', () => {
    expect(roles(buildMenuTemplate(options({ isPackaged: false })))).toEqual(
      expect.arrayContaining(['reload', 'toggleDevTools']),
    );
  });

  it('has File, View and Help menus; Help opens the docs and the About box', () => {
    const showAbout = vi.fn();
    const openDocs = vi.fn();
    const template = buildMenuTemplate(options({ showAbout, openDocs }));
    expect(template.map((item) => item.label ?? item.role)).toEqual(['File', 'editMenu', 'View', 'help']);
    const help = template.find((item) => item.role === 'help')?.submenu as MenuItemConstructorOptions[];
    const click = (label: RegExp) =>
      (help.find((item) => label.test(item.label ?? ''))?.click as () => void)();
    click(/Documentation/);
    expect(openDocs).toHaveBeenCalledTimes(1);
    click(/About Deckhand/);
    expect(showAbout).toHaveBeenCalledTimes(1);
  });

  it('adds the app menu on macOS', () => {
    expect(buildMenuTemplate(options({ platform: 'darwin' }))[0]?.role).toBe('appMenu');
  });

  it('shows the version in the About box', () => {
    expect(aboutMessage('Deckhand', '1.2.3', { ...process.versions, electron: '45.5.0' }).message).toBe(
      'Deckhand 1.2.3',
    );
    expect(aboutMessage('Deckhand', '1.2.3', { ...process.versions, electron: '45.5.0' }).detail).toContain(
      'Electron 45.5.0',
    );
  });
});
