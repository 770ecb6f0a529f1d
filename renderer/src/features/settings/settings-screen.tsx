/** Settings: the theme choice and the facts a support call needs (version, data folder, host). */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Card, DataList, Flex, Heading, RadioCards, Text } from '@radix-ui/themes';
import { DesktopIcon, MoonIcon, SunIcon } from '@radix-ui/react-icons';
import { useStores } from '../../state/stores-context';
import type { AppInfo } from '../../state/app-info-store';
import type { ThemePreference } from '../../state/theme-store';
import { assertNever } from '../../ui/assert-never';
import { ErrorCallout } from '../../ui/error-callout';

const THEME_CHOICES: readonly {
  readonly value: ThemePreference;
  readonly label: string;
  readonly icon: typeof SunIcon;
}[] = [
  { value: 'system', label: 'Match the system', icon: DesktopIcon },
  { value: 'light', label: 'Light', icon: SunIcon },
  { value: 'dark', label: 'Dark', icon: MoonIcon },
];

/** The Settings screen. */
export function SettingsScreen() {
  const stores = useStores();
  const preference = useStore(stores.theme, (state) => state.preference);
  const setPreference = useStore(stores.theme, (state) => state.setPreference);

  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Heading as="h1" size="8">
        Settings
      </Heading>
      <Card size="3">
        <Flex direction="column" gap="3">
          <Heading as="h2" size="5" id="theme-heading">
            Theme
          </Heading>
          <RadioCards.Root
            aria-labelledby="theme-heading"
            value={preference}
            onValueChange={(value) => setPreference(value as ThemePreference)}
            columns={{ initial: '1', sm: '3' }}
            size="3"
          >
            {THEME_CHOICES.map(({ value, label, icon: Icon }) => (
              <RadioCards.Item key={value} value={value} className="dh-touch">
                <Icon aria-hidden />
                <Text size="3">{label}</Text>
              </RadioCards.Item>
            ))}
          </RadioCards.Root>
        </Flex>
      </Card>
      <AboutCard />
    </Flex>
  );
}

function AboutCard() {
  const store = useStores().appInfo;
  const info = useStore(store, (state) => state.info);
  const error = useStore(store, (state) => state.error);

  useEffect(() => {
    void store.getState().load();
  }, [store]);

  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          About this installation
        </Heading>
        {error !== null && <ErrorCallout error={error} />}
        {info === null && error === null && <Text color="gray">Loading…</Text>}
        {info !== null && (
          <DataList.Root size="3" orientation={{ initial: 'vertical', sm: 'horizontal' }}>
            <DataList.Item>
              <DataList.Label>Version</DataList.Label>
              <DataList.Value>
                {info.name} {info.version}
              </DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label>Data folder</DataList.Label>
              <DataList.Value>
                <Text className="dh-mono dh-break">{info.dataDir}</Text>
              </DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label>Host</DataList.Label>
              <DataList.Value>{describeHost(info.host)}</DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label>Platform</DataList.Label>
              <DataList.Value>{info.platform}</DataList.Value>
            </DataList.Item>
          </DataList.Root>
        )}
      </Flex>
    </Card>
  );
}

function describeHost(host: AppInfo['host']): string {
  switch (host) {
    case 'electron':
      return 'Desktop app';
    case 'browser':
      return 'Browser, served by this laptop';
    case 'cli':
      return 'Command line';
    default:
      return assertNever(host);
  }
}
