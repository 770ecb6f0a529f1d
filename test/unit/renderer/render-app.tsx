/** Renders the whole app over a fake bridge, wired the way main.tsx wires the real one. */
import { render } from '@testing-library/react';
import { App } from '../../../renderer/src/app/app';
import type { ConnectionState } from '../../../renderer/src/bridge';
import { createAppStores, type AppStores } from '../../../renderer/src/state/app-stores';
import type { ThemeEnvironment } from '../../../renderer/src/state/theme-store';
import { createFakeBridge, type FakeBridge, type FakeBridgeOptions } from './fake-bridge';

/** A connection whose state the test sets. */
export interface FakeConnection {
  readonly getState: () => ConnectionState;
  readonly onStateChange: (listener: (state: ConnectionState) => void) => () => void;
  readonly set: (state: ConnectionState) => void;
}

/** A connection that starts open. */
export function createFakeConnection(): FakeConnection {
  let state: ConnectionState = 'open';
  const listeners = new Set<(state: ConnectionState) => void>();
  return {
    getState: () => state,
    onStateChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set: (next) => {
      state = next;
      for (const listener of listeners) listener(next);
    },
  };
}

/** A theme environment over jsdom's localStorage with a chosen system preference. */
export function fakeThemeEnvironment(systemPrefersDark = false): ThemeEnvironment {
  return {
    storage: window.localStorage,
    matchMedia: () => ({ matches: systemPrefersDark, addEventListener: () => undefined }),
  };
}

/** What renderApp returns. */
export interface RenderedApp {
  readonly fake: FakeBridge;
  readonly stores: AppStores;
  readonly connection: FakeConnection;
  readonly view: ReturnType<typeof render>;
}

/** Renders <App> at `hash` over a fake log. */
export function renderApp(
  options: FakeBridgeOptions & { readonly hash?: string; readonly systemPrefersDark?: boolean } = {},
): RenderedApp {
  window.location.hash = options.hash ?? '';
  const fake = createFakeBridge(options);
  const connection = createFakeConnection();
  const stores = createAppStores({
    api: fake.api,
    connection,
    themeEnvironment: fakeThemeEnvironment(options.systemPrefersDark),
    logs: { refreshDelayMs: 10 },
  });
  const view = render(<App stores={stores} />);
  return { fake, stores, connection, view };
}
