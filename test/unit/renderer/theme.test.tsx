// @vitest-environment jsdom
import './setup';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import {
  THEME_STORAGE_KEY,
  createThemeStore,
  resolveAppearance,
} from '../../../renderer/src/state/theme-store';
import { fakeThemeEnvironment, renderApp } from './render-app';

/** The appearance class Radix Themes puts on the Theme root. */
const appearance = () =>
  document.querySelector('.radix-themes.dh-app')?.classList.contains('dark') ? 'dark' : 'light';

describe('theme', () => {
  it('follows the system preference until the technician chooses', () => {
    renderApp({ systemPrefersDark: true });
    expect(appearance()).toBe('dark');
  });

  it('persists the choice made in Settings and restores it on the next start', async () => {
    const user = userEvent.setup();
    const first = renderApp({ hash: '#/settings', systemPrefersDark: false });
    expect(appearance()).toBe('light');
    expect(screen.getByRole('radio', { name: /match the system/i })).toBeChecked();

    await user.click(screen.getByRole('radio', { name: 'Dark' }));
    expect(appearance()).toBe('dark');
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    expect(screen.getByRole('radio', { name: 'Dark' })).toBeChecked();

    first.view.unmount();
    renderApp({ hash: '#/settings', systemPrefersDark: false });
    expect(appearance()).toBe('dark');

    await user.click(screen.getByRole('radio', { name: 'Light' }));
    expect(window.localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
    expect(appearance()).toBe('light');
  });

  it('ignores a corrupt stored value and follows system changes while on "system"', () => {
    window.localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    let onChange: ((event: { matches: boolean }) => void) | undefined;
    const store = createThemeStore({
      ...fakeThemeEnvironment(false),
      matchMedia: () =>
        ({
          matches: false,
          addEventListener: (_type: string, listener: (event: { matches: boolean }) => void) => {
            onChange = listener;
          },
        }) as unknown as MediaQueryList,
    });
    expect(store.getState().preference).toBe('system');
    expect(resolveAppearance(store.getState())).toBe('light');
    onChange?.({ matches: true });
    expect(resolveAppearance(store.getState())).toBe('dark');
    store.getState().setPreference('light');
    expect(resolveAppearance(store.getState())).toBe('light');
  });
});
