/** Check compatibility, review the plan (deploy, skip or refuse per device, with the reason), and start. */
import { useStore } from 'zustand';
import { Badge, Button, Card, Flex, Heading, Table, Text } from '@radix-ui/themes';
import { useStores } from '../../state/stores-context';
import { describeAction, deviceName } from './deploy-format';

/** The plan step of the Deploy screen. */
export function DeployPlan() {
  const stores = useStores();
  const store = stores.deploy;
  const known = useStore(stores.devices, (state) => state.devices);
  const targetKey = useStore(store, (state) => state.targetKey);
  const devices = useStore(store, (state) => state.devices);
  const plan = useStore(store, (state) => state.plan);
  const planning = useStore(store, (state) => state.planning);
  const starting = useStore(store, (state) => state.starting);
  const checkPlan = useStore(store, (state) => state.checkPlan);
  const start = useStore(store, (state) => state.start);
  const toDeploy = plan?.devices.filter((d) => d.action === 'deploy').length ?? 0;
  const missing =
    targetKey === null
      ? 'Choose what to deploy.'
      : devices.length === 0
        ? 'Choose at least one device.'
        : null;
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          3. Review and start
        </Heading>
        <Flex gap="3" align="center" wrap="wrap">
          <Button
            size="3"
            variant={plan === null ? 'solid' : 'soft'}
            highContrast
            disabled={missing !== null || planning}
            onClick={() => void checkPlan()}
          >
            {planning ? 'Checking devices…' : 'Check compatibility'}
          </Button>
          {missing !== null && (
            <Text size="3" color="gray">
              {missing}
            </Text>
          )}
        </Flex>
        {plan !== null && (
          <>
            <Table.Root variant="surface" size="2" data-testid="deploy-plan" aria-label="Deploy plan">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Device</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Plan</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Why</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {plan.devices.map((d) => {
                  const action = describeAction(d.action);
                  return (
                    <Table.Row
                      key={d.device}
                      data-testid="deploy-plan-row"
                      aria-label={`Plan for ${d.device}`}
                    >
                      <Table.RowHeaderCell>
                        <Text weight="bold">{deviceName(d.device, known)}</Text>
                        <Text as="div" size="2" color="gray" className="dh-break">
                          {d.device}
                        </Text>
                      </Table.RowHeaderCell>
                      <Table.Cell>
                        <Badge size="2" color={action.color} highContrast data-testid="deploy-plan-action">
                          {action.label}
                        </Badge>
                      </Table.Cell>
                      <Table.Cell>
                        {d.reason ?? ''}
                        {d.code !== null && <Text color="gray"> [{d.code}]</Text>}
                      </Table.Cell>
                    </Table.Row>
                  );
                })}
              </Table.Body>
            </Table.Root>
            <Flex gap="3" align="center" wrap="wrap">
              <Button
                size="3"
                highContrast
                disabled={toDeploy === 0 || starting}
                onClick={() => void start()}
              >
                {starting ? 'Starting…' : `Deploy to ${toDeploy} ${toDeploy === 1 ? 'device' : 'devices'}`}
              </Button>
              {toDeploy === 0 && (
                <Text size="3" color="gray">
                  No device needs this deploy.
                </Text>
              )}
            </Flex>
          </>
        )}
      </Flex>
    </Card>
  );
}
