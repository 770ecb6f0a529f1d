/** Past and running deploy runs, newest first; choosing one shows it in detail. */
import { useStore } from 'zustand';
import { Badge, Button, Card, Flex, Heading, Text } from '@radix-ui/themes';
import type { DeployRunView } from '../../bridge';
import { useStores } from '../../state/stores-context';
import { formatLocalTime } from '../../ui/format-time';

/** The run history. */
export function RunHistory() {
  const store = useStores().deploy;
  const runs = useStore(store, (state) => state.runs);
  const shownRunId = useStore(store, (state) => state.shownRunId);
  const showRun = useStore(store, (state) => state.showRun);
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          Run history
        </Heading>
        {runs === null ? (
          <Text color="gray">Loading…</Text>
        ) : runs.length === 0 ? (
          <Text as="p" size="4" data-testid="deploy-history-empty">
            No deploys from this laptop yet.
          </Text>
        ) : (
          <ul className="dh-device-list" aria-label="Deploy runs">
            {runs.map((run) => (
              <li key={run.id}>
                <Flex
                  gap="3"
                  align="center"
                  justify="between"
                  wrap="wrap"
                  className="dh-history-row"
                  data-testid="deploy-history-row"
                >
                  <Flex direction="column">
                    <Text weight="bold">
                      {run.target.name} {run.target.version}
                    </Text>
                    <Text size="2" color="gray">
                      {formatLocalTime(run.createdAt)} · {tally(run)}
                    </Text>
                  </Flex>
                  <Flex gap="3" align="center">
                    {run.status === 'running' && (
                      <Badge size="2" color="blue" highContrast>
                        Running
                      </Badge>
                    )}
                    <Button
                      size="3"
                      variant={run.id === shownRunId ? 'solid' : 'soft'}
                      highContrast
                      aria-pressed={run.id === shownRunId}
                      aria-label={`Show run of ${run.target.name} ${run.target.version} started ${formatLocalTime(run.createdAt)}`}
                      onClick={() => showRun(run.id)}
                    >
                      {run.id === shownRunId ? 'Shown' : 'Show'}
                    </Button>
                  </Flex>
                </Flex>
              </li>
            ))}
          </ul>
        )}
      </Flex>
    </Card>
  );
}

function tally(run: DeployRunView): string {
  const parts: string[] = [];
  const add = (outcome: DeployRunView['devices'][number]['outcome'], words: string): void => {
    const n = run.devices.filter((d) => d.outcome === outcome).length;
    if (n > 0) parts.push(`${n} ${words}`);
  };
  add('committed', 'committed');
  add('rolled_back', 'rolled back');
  add('failed', 'failed');
  add('cancelled', 'cancelled');
  add('running', 'running');
  add('pending', 'waiting');
  return parts.join(', ') || `${run.devices.length} devices`;
}
