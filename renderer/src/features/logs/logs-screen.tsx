/** The Logs screen: chain status, filters, and the whole deploy log in a virtualized table. */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Button, Card, Flex, Heading, Text } from '@radix-ui/themes';
import { ReloadIcon } from '@radix-ui/react-icons';
import { useStores } from '../../state/stores-context';
import { ChainStatusPanel } from './chain-status-panel';
import { formatEventCount } from './log-format';
import { LogsFilters } from './logs-filters';
import { LogsTable } from './logs-table';
import { ErrorCallout } from '../../ui/error-callout';

/** The Logs screen. */
export function LogsScreen() {
  const store = useStores().logs;
  const total = useStore(store, (state) => state.total);
  const error = useStore(store, (state) => state.error);
  const filter = useStore(store, (state) => state.filter);
  const filtered = filter.kind !== null || filter.device !== null;

  useEffect(() => {
    const state = store.getState();
    // Events may have been appended while another screen was open; refetch what is in view.
    state.refresh();
    void state.loadFacets();
    // Walking the chain reads every event, so do it once per session unless asked (Re-check).
    if (state.chain.phase === 'idle' || state.chain.phase === 'failed') void state.verifyChain();
    return state.subscribe();
  }, [store]);

  return (
    <Flex direction="column" gap="4" className="dh-screen dh-logs-screen">
      <Flex justify="between" align="end" wrap="wrap" gap="3">
        <Heading as="h1" size="8">
          Logs
        </Heading>
        <Text size="4" weight="medium" data-testid="logs-count">
          {total === null ? 'Loading…' : formatEventCount(total)}
          {filtered && total !== null ? ' match the filters' : ''}
        </Text>
      </Flex>
      <ChainStatusPanel store={store} />
      <LogsFilters store={store} />
      {error !== null && (
        <ErrorCallout error={error}>
          <Button highContrast size="3" className="dh-touch" onClick={() => store.getState().retry()}>
            <ReloadIcon aria-hidden /> Try again
          </Button>
        </ErrorCallout>
      )}
      {total === 0 ? (
        <Card size="3" className="dh-empty" data-testid="logs-empty">
          <Flex direction="column" gap="3" align="start">
            <Heading as="h2" size="5">
              {filtered ? 'No events match these filters' : 'No events yet'}
            </Heading>
            <Text as="p" size="3">
              {filtered
                ? 'Choose “All” in the menus above to see the whole log.'
                : 'Every import, deploy, diagnostic run and sync on this laptop is recorded here, in a tamper-evident chain.'}
            </Text>
            {filtered && (
              <Button
                highContrast
                size="3"
                className="dh-touch"
                onClick={() => store.getState().setFilter({ kind: null, device: null })}
              >
                Clear filters
              </Button>
            )}
          </Flex>
        </Card>
      ) : (
        <LogsTable store={store} />
      )}
    </Flex>
  );
}
