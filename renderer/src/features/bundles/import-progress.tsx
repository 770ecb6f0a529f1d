/** The running import: step, a progress bar with bytes, speed and time left, and Cancel. */
import { useStore } from 'zustand';
import { Button, Card, Flex, Progress, Text } from '@radix-ui/themes';
import type { StoreApi } from 'zustand/vanilla';
import type { BundlesState } from '../../state/bundles-store';
import { describeStep, formatBytes, formatEta, formatSpeed } from './bundle-format';

/** Props of ImportProgress. */
export interface ImportProgressProps {
  readonly store: StoreApi<BundlesState>;
}

/** Shown while an import runs; nothing otherwise. */
export function ImportProgress({ store }: ImportProgressProps) {
  const job = useStore(store, (state) => state.job);
  if (job === null) return null;
  const progress = job.progress;
  const percent = progress?.percent ?? null;
  return (
    <Card size="3" data-testid="import-progress">
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Text size="4" weight="bold" role="status">
            {job.cancelling ? 'Cancelling…' : describeStep(progress?.step ?? 'starting')} — {job.path}
          </Text>
          <Button
            size="3"
            color="red"
            variant="surface"
            className="dh-touch"
            disabled={job.cancelling}
            onClick={() => void store.getState().cancel()}
          >
            Cancel
          </Button>
        </Flex>
        <Progress
          size="3"
          value={percent ?? undefined}
          max={100}
          aria-label="Import progress"
          aria-valuetext={percent === null ? 'working' : `${Math.round(percent)} percent`}
        />
        <Text size="3" color="gray">
          {formatBytes(progress?.bytes ?? 0)}
          {percent !== null ? ` · ${Math.round(percent)}%` : ''} · {formatSpeed(progress?.bytesPerSec ?? 0)} ·{' '}
          {formatEta(progress?.etaSec ?? null)} left
        </Text>
      </Flex>
    </Card>
  );
}
