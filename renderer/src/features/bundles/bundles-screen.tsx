/** The Bundles screen: the trust root, importing (with progress and cancel), and every import attempt. */
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { Callout, Card, Flex, Heading, Text } from '@radix-ui/themes';
import {
  CheckCircledIcon,
  CrossCircledIcon,
  ExclamationTriangleIcon,
  LockClosedIcon,
} from '@radix-ui/react-icons';
import { useStores } from '../../state/stores-context';
import type { BundlesState } from '../../state/bundles-store';
import { assertNever } from '../../ui/assert-never';
import { BundleCard } from './bundle-card';
import { shortKey } from './bundle-format';
import { ImportPanel } from './import-panel';
import { ImportProgress } from './import-progress';
import { ErrorCallout } from '../../ui/error-callout';

/** The Bundles screen. */
export function BundlesScreen() {
  const stores = useStores();
  const store = stores.bundles;
  const trust = useStore(store, (state) => state.trust);
  const imports = useStore(store, (state) => state.imports);
  const loaded = useStore(store, (state) => state.loaded);
  const loadError = useStore(store, (state) => state.loadError);
  const outcome = useStore(store, (state) => state.outcome);
  const host = useStore(stores.appInfo, (state) => state.info?.host ?? null);
  const now = useNow(60_000);

  useEffect(() => {
    const state = store.getState();
    void state.load();
    void stores.appInfo.getState().load();
    return state.subscribe();
  }, [store, stores.appInfo]);

  return (
    <Flex direction="column" gap="4" className="dh-screen">
      <Heading as="h1" size="8">
        Bundles
      </Heading>
      {loaded &&
        (trust === null ? (
          <Callout.Root highContrast color="amber" role="alert" data-testid="trust-status">
            <Callout.Icon>
              <ExclamationTriangleIcon aria-hidden />
            </Callout.Icon>
            <Callout.Text>
              No trust root is pinned on this laptop, so bundles cannot be verified and every import is
              refused. Pin your organisation’s root first: <code>deckhand trust pin ROOT.json</code> (HQ
              provides root.json).
            </Callout.Text>
          </Callout.Root>
        ) : (
          <Callout.Root highContrast color="gray" variant="surface" data-testid="trust-status">
            <Callout.Icon>
              <LockClosedIcon aria-hidden />
            </Callout.Icon>
            <Callout.Text>
              Bundles are verified against your organisation’s root, version {trust.rootVersion} (
              {trust.source === 'org' ? 'shipped with this build' : 'pinned on this laptop'}; root keys{' '}
              {trust.rootKeyIds.map(shortKey).join(', ')}).
            </Callout.Text>
          </Callout.Root>
        ))}
      <ImportPanel store={store} canPickFile={host === 'electron'} />
      <ImportProgress store={store} />
      {outcome !== null && <OutcomeCallout outcome={outcome} />}
      {loadError !== null && <ErrorCallout error={loadError} />}
      <Heading as="h2" size="5">
        Imported and refused bundles
      </Heading>
      {loaded && imports.length === 0 ? (
        <Card size="3" className="dh-empty" data-testid="bundles-empty">
          <Text as="p" size="3">
            No bundles yet. Import the .dhb file HQ sent you, usually on a USB stick.
          </Text>
        </Card>
      ) : (
        imports.map((row) => <BundleCard key={row.id} row={row} now={now} />)
      )}
    </Flex>
  );
}

function OutcomeCallout({ outcome }: { readonly outcome: NonNullable<BundlesState['outcome']> }) {
  switch (outcome.kind) {
    case 'imported':
      return (
        <Callout.Root highContrast color="green" role="status" data-testid="import-outcome">
          <Callout.Icon>
            <CheckCircledIcon aria-hidden />
          </Callout.Icon>
          <Callout.Text>
            Imported {outcome.row.fileName}: {outcome.row.targets.length} files verified ({outcome.copied}{' '}
            copied, {outcome.reused} already on this laptop).
          </Callout.Text>
        </Callout.Root>
      );
    case 'refused':
      return (
        <Callout.Root highContrast color="red" role="alert" data-testid="import-outcome">
          <Callout.Icon>
            <CrossCircledIcon aria-hidden />
          </Callout.Icon>
          <Callout.Text>{outcome.error.message}</Callout.Text>
        </Callout.Root>
      );
    case 'cancelled':
      return (
        <Callout.Root highContrast color="gray" role="status" data-testid="import-outcome">
          <Callout.Text>The import was cancelled. Nothing from the bundle was kept.</Callout.Text>
        </Callout.Root>
      );
    default:
      return assertNever(outcome);
  }
}

/** The current time, refreshed every `intervalMs`, for expiry countdowns. */
function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
