/**
 * Deploy: choose a release or model and the devices, check each device's compatibility (the plan
 * says deploy, skip or refuse, and why), start, then follow the run device by device.
 */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Button, Card, Code, Flex, Heading, Text } from '@radix-ui/themes';
import { useStores } from '../../state/stores-context';
import { ErrorCallout } from '../../ui/error-callout';
import { DeviceChecklist } from './device-checklist';
import { DeployPlan } from './deploy-plan';
import { RunHistory } from './run-history';
import { RunPanel } from './run-panel';
import { TargetPicker } from './target-picker';

/** The Deploy screen. */
export function DeployScreen() {
  const stores = useStores();
  const deploy = stores.deploy;
  const error = useStore(deploy, (state) => state.error);
  const targets = useStore(deploy, (state) => state.targets);
  const runs = useStore(deploy, (state) => state.runs);
  const shownRunId = useStore(deploy, (state) => state.shownRunId);
  const load = useStore(deploy, (state) => state.load);
  const subscribe = useStore(deploy, (state) => state.subscribe);
  const dismissError = useStore(deploy, (state) => state.dismissError);
  const loadDevices = useStore(stores.devices, (state) => state.load);
  const subscribeDevices = useStore(stores.devices, (state) => state.subscribe);

  useEffect(() => {
    const off = subscribe();
    void load();
    return off;
  }, [load, subscribe]);
  useEffect(() => {
    void loadDevices();
    return subscribeDevices();
  }, [loadDevices, subscribeDevices]);

  const shown = runs?.find((run) => run.id === shownRunId) ?? null;
  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Heading as="h1" size="8">
        Deploy
      </Heading>
      {error !== null && (
        <ErrorCallout error={error} testId="deploy-error">
          <Flex>
            <Button size="3" variant="soft" color="red" onClick={dismissError}>
              Dismiss
            </Button>
          </Flex>
        </ErrorCallout>
      )}
      {targets === null ? (
        error === null ? (
          <Text size="4" color="gray">
            Loading…
          </Text>
        ) : (
          <Flex>
            <Button size="3" highContrast onClick={() => void load()}>
              Try again
            </Button>
          </Flex>
        )
      ) : targets.length === 0 ? (
        <Card size="3" className="dh-empty" data-testid="deploy-no-targets">
          <Flex direction="column" gap="3" align="start">
            <Text as="p" size="4">
              Nothing to deploy yet. Import a bundle first; its releases and models appear here. To try
              Deckhand without hardware, run <Code>npm run demo</Code>.
            </Text>
            <Button asChild size="3" variant="soft" highContrast>
              <a href="#/bundles">Open Bundles</a>
            </Button>
          </Flex>
        </Card>
      ) : (
        <>
          <TargetPicker />
          <DeviceChecklist />
          <DeployPlan />
        </>
      )}
      {shown !== null && <RunPanel run={shown} />}
      <RunHistory />
    </Flex>
  );
}
