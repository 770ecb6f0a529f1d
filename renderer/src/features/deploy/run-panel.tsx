/**
 * One deploy run: a summary of committed, rolled back and failed devices, and per device its
 * outcome, a progress bar with step, speed and time left, the reason when it did not commit, and
 * the actions (cancel, retry the failed, roll a device back).
 */
import { useStore } from 'zustand';
import { Badge, Button, Callout, Card, Flex, Heading, Progress, Text } from '@radix-ui/themes';
import { InfoCircledIcon } from '@radix-ui/react-icons';
import type { DeployRunView } from '../../bridge';
import { useStores } from '../../state/stores-context';
import { formatLocalTime } from '../../ui/format-time';
import { formatBytes, formatEta, formatSpeed } from '../bundles/bundle-format';
import { describeDeployStep, describeOutcome, deviceName } from './deploy-format';

type DeviceRow = DeployRunView['devices'][number];

/** Props of RunPanel. */
export interface RunPanelProps {
  readonly run: DeployRunView;
}

/** The run shown in detail. */
export function RunPanel({ run }: RunPanelProps) {
  const store = useStores().deploy;
  const busy = useStore(store, (state) => state.busy);
  const notice = useStore(store, (state) => state.notice);
  const cancel = useStore(store, (state) => state.cancel);
  const retry = useStore(store, (state) => state.retry);
  const running = run.status === 'running';
  const count = (outcome: DeviceRow['outcome']): number =>
    run.devices.filter((d) => d.outcome === outcome).length;
  const retryable = count('failed') + count('rolled_back') + count('cancelled');
  return (
    <Card size="3" data-testid="deploy-run" data-status={run.status} aria-label="Deploy run">
      <Flex direction="column" gap="4">
        <Flex justify="between" align="start" gap="3" wrap="wrap">
          <Flex direction="column" gap="1">
            <Heading as="h2" size="5">
              {run.target.name} {run.target.version} on {run.devices.length}{' '}
              {run.devices.length === 1 ? 'device' : 'devices'}
            </Heading>
            <Text size="3" color="gray">
              Started {formatLocalTime(run.createdAt)}
              {run.finishedAt !== null ? ` · ended ${formatLocalTime(run.finishedAt)}` : ''}
            </Text>
          </Flex>
          <Flex gap="3" align="center" wrap="wrap">
            <Badge size="3" color={running ? 'blue' : 'gray'} highContrast data-testid="deploy-run-status">
              {running ? 'Running' : run.status === 'cancelled' ? 'Cancelled' : 'Finished'}
            </Badge>
            {running && (
              <Button
                size="3"
                color="red"
                variant="surface"
                disabled={busy.includes(`cancel:${run.id}`)}
                onClick={() => void cancel(run.id)}
              >
                Cancel run
              </Button>
            )}
            {!running && retryable > 0 && (
              <Button
                size="3"
                highContrast
                disabled={busy.includes(`retry:${run.id}`)}
                onClick={() => void retry(run.id)}
              >
                Retry {retryable} not committed
              </Button>
            )}
          </Flex>
        </Flex>
        <Flex gap="3" wrap="wrap" role="status" data-testid="deploy-summary" aria-label="Run summary">
          <Summary label="committed" value={count('committed')} color="green" />
          <Summary label="rolled back" value={count('rolled_back')} color="amber" />
          <Summary label="failed" value={count('failed')} color="red" />
          {count('cancelled') > 0 && <Summary label="cancelled" value={count('cancelled')} color="gray" />}
          {running && (
            <Summary label="in progress" value={count('running') + count('pending')} color="blue" />
          )}
        </Flex>
        {notice !== null && run.devices.some((d) => d.device === notice.device) && (
          <Callout.Root color="blue" highContrast data-testid="deploy-notice">
            <Callout.Icon>
              <InfoCircledIcon aria-hidden />
            </Callout.Icon>
            <Callout.Text>
              {notice.device}: {notice.detail}
            </Callout.Text>
          </Callout.Root>
        )}
        <ul className="dh-device-list" aria-label="Devices in this run">
          {run.devices.map((device) => (
            <li key={device.device}>
              <RunDevice run={run} row={device} />
            </li>
          ))}
        </ul>
      </Flex>
    </Card>
  );
}

function Summary({
  label,
  value,
  color,
}: {
  readonly label: string;
  readonly value: number;
  readonly color: 'green' | 'amber' | 'red' | 'gray' | 'blue';
}) {
  return (
    <Badge
      size="3"
      color={color}
      variant="soft"
      highContrast
      data-testid={`deploy-count-${label.replace(' ', '-')}`}
    >
      {value} {label}
    </Badge>
  );
}

function RunDevice({ run, row }: { readonly run: DeployRunView; readonly row: DeviceRow }) {
  const stores = useStores();
  const known = useStore(stores.devices, (state) => state.devices);
  const live = useStore(stores.deploy, (state) => state.progress[run.id]?.[row.device]);
  const rollingBack = useStore(stores.deploy, (state) => state.busy.includes(`rollback:${row.device}`));
  const rollback = useStore(stores.deploy, (state) => state.rollback);
  const rolledBack = useStore(stores.deploy, (state) => state.notice?.device === row.device);
  const refreshDevice = useStore(stores.devices, (state) => state.refresh);
  const outcome = describeOutcome(row.outcome);
  const active = row.outcome === 'running' || row.outcome === 'pending';
  const progress = active ? (live ?? row.progress) : null;
  // Bytes only move while sending; other steps show an indeterminate bar with the step's name.
  const percent =
    row.outcome === 'committed'
      ? 100
      : progress !== null && progress.percent !== null && row.step === 'transfer'
        ? progress.percent
        : null;
  const trouble = row.outcome === 'failed' || row.outcome === 'rolled_back' || row.outcome === 'refused';
  const name = deviceName(row.device, known);
  return (
    <Card
      size="2"
      data-testid="deploy-device-row"
      data-outcome={row.outcome}
      aria-label={`Run on ${row.device}`}
    >
      <Flex direction="column" gap="2">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Flex direction="column">
            <Text size="4" weight="bold">
              {name}
            </Text>
            {name !== row.device && (
              <Text size="2" color="gray" className="dh-break">
                {row.device}
              </Text>
            )}
          </Flex>
          <Flex gap="3" align="center">
            <Badge size="3" color={outcome.color} highContrast data-testid="deploy-device-outcome">
              {outcome.label}
            </Badge>
            {canRollBack(run, row) && !rolledBack && (
              <Button
                size="3"
                variant="soft"
                color="amber"
                highContrast
                disabled={rollingBack}
                aria-label={`Roll back ${row.device}`}
                onClick={() => void rollback(row.device, run.target).then(() => refreshDevice(row.device))}
              >
                {rollingBack ? 'Rolling back…' : 'Roll back'}
              </Button>
            )}
          </Flex>
        </Flex>
        {(active || row.outcome === 'committed') && (
          <Progress
            size="3"
            value={percent ?? undefined}
            max={100}
            color={row.outcome === 'committed' ? 'green' : undefined}
            aria-label={`Progress of ${row.device}`}
            aria-valuetext={
              percent === null ? describeDeployStep(row.step) : `${Math.round(percent)} percent`
            }
          />
        )}
        {active && (
          <Text size="3" data-testid="deploy-device-step">
            {describeDeployStep(row.step)}
            {progress !== null && row.step === 'transfer' && (
              <>
                {' '}
                · {formatBytes(progress.bytes)}
                {progress.percent !== null ? ` (${Math.round(progress.percent)}%)` : ''} ·{' '}
                {formatSpeed(progress.bytesPerSec)} · {formatEta(progress.etaSec)} left
              </>
            )}
          </Text>
        )}
        {!active && row.reason !== null && (
          <Text
            size="3"
            color={trouble ? 'red' : 'gray'}
            weight={trouble ? 'bold' : 'regular'}
            data-testid="deploy-device-reason"
          >
            {row.outcome === 'failed' ? `Failed at ${describeDeployStep(row.step).toLowerCase()}: ` : ''}
            {row.reason}
            {row.errorCode !== null && <Text color="gray"> [{row.errorCode}]</Text>}
          </Text>
        )}
      </Flex>
    </Card>
  );
}

/** Steps after which a failed release may be left pending or on trial on the device. */
const AFTER_INSTALL: ReadonlySet<string> = new Set(['install', 'reboot', 'health', 'commit', 'rollback']);

/**
 * Whether to offer a manual rollback: a committed model returns to the model it replaced; a release
 * that failed after its install may still be pending or on trial. A committed release has raised the
 * device's anti-rollback counter, and the device refuses to return to an older one.
 */
function canRollBack(run: DeployRunView, row: DeviceRow): boolean {
  if (run.status === 'running') return false;
  if (row.outcome === 'committed') return run.target.kind === 'model';
  return row.outcome === 'failed' && run.target.kind === 'release' && AFTER_INSTALL.has(row.step);
}
