/**
 * Overview: the latest deploy outcome of every device deployed to from this laptop, and DORA's four
 * keys (deployment frequency, lead time, change fail rate, time to restore) over 7, 30 and 90 days.
 */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Badge, Button, Card, DataList, Flex, Grid, Heading, Table, Text } from '@radix-ui/themes';
import type { OverviewView } from '../../bridge';
import { useStores } from '../../state/stores-context';
import { ErrorCallout } from '../../ui/error-callout';
import { formatLocalTime } from '../../ui/format-time';
import { describeOutcome, deviceName, formatDuration } from '../deploy/deploy-format';

/** The Overview screen. */
export function OverviewScreen() {
  const stores = useStores();
  const summary = useStore(stores.overview, (state) => state.summary);
  const error = useStore(stores.overview, (state) => state.error);
  const load = useStore(stores.overview, (state) => state.load);
  const subscribe = useStore(stores.overview, (state) => state.subscribe);
  const loadDevices = useStore(stores.devices, (state) => state.load);

  useEffect(() => {
    const off = subscribe();
    void load();
    return off;
  }, [load, subscribe]);
  useEffect(() => {
    void loadDevices();
  }, [loadDevices]);

  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Heading as="h1" size="8">
        Overview
      </Heading>
      {error !== null && <ErrorCallout error={error} testId="overview-error" />}
      {summary === null ? (
        error === null && (
          <Text size="4" color="gray">
            Loading…
          </Text>
        )
      ) : (
        <>
          <DeviceStates devices={summary.devices} />
          <Flex direction="column" gap="3">
            <Heading as="h2" size="5">
              Delivery metrics (DORA)
            </Heading>
            <Grid columns={{ initial: '1', md: '3' }} gap="4">
              {summary.dora.map((window) => (
                <DoraCard key={window.windowDays} window={window} />
              ))}
            </Grid>
          </Flex>
        </>
      )}
    </Flex>
  );
}

function DeviceStates({ devices }: { readonly devices: OverviewView['devices'] }) {
  const known = useStore(useStores().devices, (state) => state.devices);
  return (
    <Flex direction="column" gap="3">
      <Heading as="h2" size="5">
        Devices
      </Heading>
      {devices.length === 0 ? (
        <Card size="3" className="dh-empty" data-testid="overview-devices-empty">
          <Flex direction="column" gap="3" align="start">
            <Text as="p" size="4">
              No device has been deployed to from this laptop yet. Each device’s latest deploy shows here once
              it has one.
            </Text>
            <Button asChild size="3" variant="soft" highContrast>
              <a href="#/deploy">Open Deploy</a>
            </Button>
          </Flex>
        </Card>
      ) : (
        <Table.Root
          variant="surface"
          size="2"
          data-testid="overview-devices"
          aria-label="Latest state per device"
        >
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell>Device</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Last deploy</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Outcome</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>When</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {devices.map((d) => {
              const outcome = describeOutcome(d.outcome);
              const name = deviceName(d.device, known);
              return (
                <Table.Row
                  key={d.device}
                  data-testid="overview-device"
                  aria-label={`Latest deploy on ${d.device}`}
                >
                  <Table.RowHeaderCell>
                    <Text weight="bold">{name}</Text>
                    {name !== d.device && (
                      <Text as="div" size="2" color="gray" className="dh-break">
                        {d.device}
                      </Text>
                    )}
                  </Table.RowHeaderCell>
                  <Table.Cell>
                    {d.target.name} {d.target.version}
                  </Table.Cell>
                  <Table.Cell>
                    <Badge size="2" color={outcome.color} highContrast data-testid="overview-device-outcome">
                      {outcome.label}
                    </Badge>
                  </Table.Cell>
                  <Table.Cell>{formatLocalTime(d.updatedAt)}</Table.Cell>
                </Table.Row>
              );
            })}
          </Table.Body>
        </Table.Root>
      )}
    </Flex>
  );
}

function DoraCard({ window }: { readonly window: OverviewView['dora'][number] }) {
  const m = window.fleet;
  return (
    <Card size="3" data-testid="dora-card" aria-label={`Last ${window.windowDays} days`}>
      <Flex direction="column" gap="3">
        <Heading as="h3" size="4">
          Last {window.windowDays} days
        </Heading>
        {m.deployments === 0 ? (
          <Text as="p" size="3" color="gray" data-testid="dora-empty">
            No deploys in the last {window.windowDays} days, so there is nothing to measure yet.
          </Text>
        ) : (
          <DataList.Root size="2" orientation="vertical">
            <Metric
              label="Deployment frequency"
              value={`${formatRate(m.deploymentsPerDay)} a day`}
              note={`${m.deployments} ${m.deployments === 1 ? 'deploy' : 'deploys'}`}
            />
            <Metric label="Lead time (median)" value={formatDuration(m.leadTimeMedianSec)} />
            <Metric
              label="Change fail rate"
              value={m.changeFailureRate === null ? '—' : `${Math.round(m.changeFailureRate * 100)} %`}
              note={`${m.failures} failed or rolled back`}
            />
            <Metric
              label="Time to restore (median)"
              value={
                m.timeToRestoreMedianSec !== null
                  ? formatDuration(m.timeToRestoreMedianSec)
                  : m.failures === 0
                    ? 'No failures'
                    : 'Not restored yet'
              }
            />
          </DataList.Root>
        )}
      </Flex>
    </Card>
  );
}

function Metric({
  label,
  value,
  note,
}: {
  readonly label: string;
  readonly value: string;
  readonly note?: string;
}) {
  return (
    <DataList.Item>
      <DataList.Label>{label}</DataList.Label>
      <DataList.Value>
        <Text size="5" weight="bold" data-testid="dora-value">
          {value}
        </Text>
        {note !== undefined && (
          <Text size="2" color="gray">
            {' '}
            ({note})
          </Text>
        )}
      </DataList.Value>
    </DataList.Item>
  );
}

function formatRate(perDay: number): string {
  return perDay >= 10 ? perDay.toFixed(0) : perDay.toFixed(perDay >= 1 ? 1 : 2);
}
