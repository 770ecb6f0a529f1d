/** The app shell: theme, connection banner, navigation and the screen the hash names. */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Theme } from '@radix-ui/themes';
import { BundlesScreen } from '../features/bundles/bundles-screen';
import { DeployScreen } from '../features/deploy/deploy-screen';
import { DevicesScreen } from '../features/devices/devices-screen';
import { LogsScreen } from '../features/logs/logs-screen';
import { OverviewScreen } from '../features/overview/overview-screen';
import { DiagnosticsScreen } from '../features/diagnostics/diagnostics-screen';
import { SettingsScreen } from '../features/settings/settings-screen';
import { SyncScreen } from '../features/sync/sync-screen';
import type { AppStores } from '../state/app-stores';
import { StoresProvider } from '../state/stores-context';
import { resolveAppearance } from '../state/theme-store';
import { assertNever } from '../ui/assert-never';
import { ConnectionBanner } from './connection-banner';
import { SCREENS, type ScreenId } from './screens';
import { SideNav } from './side-nav';
import { useHashRoute } from './use-hash-route';

/** Props of App. */
export interface AppProps {
  readonly stores: AppStores;
}

/** The whole UI over the given stores. */
export function App({ stores }: AppProps) {
  const appearance = useStore(stores.theme, resolveAppearance);
  const screen = useHashRoute();
  const title = SCREENS.find((entry) => entry.id === screen)?.title ?? 'Deckhand';

  useEffect(() => {
    document.title = `${title} · Deckhand`;
  }, [title]);

  return (
    <StoresProvider stores={stores}>
      {/* Solid panels and high-contrast controls: screens are read in sunlight and on dim rigs alike. */}
      <Theme
        appearance={appearance}
        accentColor="blue"
        grayColor="slate"
        panelBackground="solid"
        scaling="110%"
        className="dh-app"
      >
        <div className="dh-shell">
          <SideNav current={screen} />
          <main className="dh-main">
            <ConnectionBanner />
            <ScreenView screen={screen} />
          </main>
        </div>
      </Theme>
    </StoresProvider>
  );
}

function ScreenView({ screen }: { readonly screen: ScreenId }) {
  switch (screen) {
    case 'logs':
      return <LogsScreen />;
    case 'bundles':
      return <BundlesScreen />;
    case 'settings':
      return <SettingsScreen />;
    case 'sync':
      return <SyncScreen />;
    case 'devices':
      return <DevicesScreen />;
    case 'overview':
      return <OverviewScreen />;
    case 'deploy':
      return <DeployScreen />;
    case 'diagnostics':
      return <DiagnosticsScreen />;
    default:
      return assertNever(screen);
  }
}
