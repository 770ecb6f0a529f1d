/**
 * Past runs from the deploy log: show one, pick two to compare side by side, export one as CSV or
 * JSON (saved through the browser's download, which works the same in the app and the browser host).
 */
import { useStore } from 'zustand';
import { Button, Card, Checkbox, Flex, Heading, Table, Text } from '@radix-ui/themes';
import type { DiagnosticRun } from '../../bridge';
import { useStores } from '../../state/stores-context';
import { formatLocalTime as formatTime } from '../../ui/format-time';
import { operatingLevel } from './diagnostics-format';

/** The history table. */
export function DiagnosticsHistory() {
  const store = useStores().diagnostics;
  const runs = useStore(store, (s) => s.runs);
  const compareIds = useStore(store, (s) => s.compareIds);
  const show = useStore(store, (s) => s.show);
  const toggleCompare = useStore(store, (s) => s.toggleCompare);
  const exportRun = useStore(store, (s) => s.exportRun);

  const save = async (runId: string, format: 'csv' | 'json'): Promise<void> => {
    const file = await exportRun(runId, format);
    if (file === null) return;
    const url = URL.createObjectURL(new Blob([file.content], { type: file.mediaType }));
    const link = document.createElement('a');
    link.href = url;
    link.download = file.fileName;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          History
        </Heading>
        {runs === null ? (
          <Text color="gray">Loading…</Text>
        ) : runs.length === 0 ? (
          <Text color="gray" data-testid="diagnostics-no-history">
            No diagnostics yet. Runs are kept in the deploy log and go to HQ with it.
          </Text>
        ) : (
          <Table.Root size="2" variant="surface" aria-label="Diagnostic runs">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell>Compare</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>When</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Model and device</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Throughput</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>p95</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Success</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Verdict</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Actions</Table.ColumnHeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {runs.map((run) => (
                <Table.Row key={run.runId} data-testid="diagnostics-run-row">
                  <Table.Cell>
                    <Checkbox
                      size="3"
                      checked={compareIds.includes(run.runId)}
                      onCheckedChange={() => void toggleCompare(run.runId)}
                      aria-label={`Compare ${run.modelName} at ${formatTime(run.startedAt)}`}
                    />
                  </Table.Cell>
                  <Table.Cell>{formatTime(run.startedAt)}</Table.Cell>
                  <Table.Cell>
                    <Text as="div" weight="bold">
                      {run.modelName} {run.modelVersion ?? ''}
                    </Text>
                    <Text as="div" size="1" color="gray">
                      {run.device ?? 'server URL'} ·{' '}
                      {run.placement === 'on-device' ? 'on the device' : 'from the laptop'}
                    </Text>
                  </Table.Cell>
                  <Table.Cell>{run.throughput.toFixed(1)} /s</Table.Cell>
                  <Table.Cell>{run.p95Ms.toFixed(1)} ms</Table.Cell>
                  <Table.Cell>{(run.successRate * 100).toFixed(1)} %</Table.Cell>
                  <Table.Cell>
                    <Text
                      weight="bold"
                      color={run.verdict === 'pass' ? 'green' : run.verdict === 'fail' ? 'red' : 'gray'}
                    >
                      {run.verdict === 'no_slo' ? 'no SLO' : run.verdict}
                    </Text>
                  </Table.Cell>
                  <Table.Cell>
                    <Flex gap="2">
                      <Button size="3" variant="soft" onClick={() => void show(run.runId)}>
                        Show
                      </Button>
                      <Button size="3" variant="soft" onClick={() => void save(run.runId, 'csv')}>
                        CSV
                      </Button>
                      <Button size="3" variant="soft" onClick={() => void save(run.runId, 'json')}>
                        JSON
                      </Button>
                    </Flex>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table.Root>
        )}
      </Flex>
    </Card>
  );
}

/** Two runs side by side: the operating point, totals and verdict of each. */
export function DiagnosticsCompare({ runs }: { readonly runs: readonly DiagnosticRun[] }) {
  if (runs.length < 2) return null;
  const rows: { label: string; value: (run: DiagnosticRun) => string }[] = [
    { label: 'Model', value: (r) => `${r.modelName} ${r.modelVersion ?? ''}` },
    { label: 'Device', value: (r) => r.device ?? r.url },
    { label: 'Where', value: (r) => (r.placement === 'on-device' ? 'On the device' : 'From the laptop') },
    { label: 'Started', value: (r) => formatTime(r.startedAt) },
    { label: 'Levels', value: (r) => `${r.plan.mode} ${r.levels.map((l) => l.level).join(', ')}` },
    { label: 'Best throughput', value: (r) => `${(operatingLevel(r)?.throughput ?? 0).toFixed(1)} /s` },
    { label: 'p50 / p95 / p99', value: (r) => latencies(r) },
    { label: 'Success rate', value: (r) => `${(r.totals.successRate * 100).toFixed(1)} %` },
    { label: 'Requests', value: (r) => String(r.totals.requests) },
    {
      label: 'GPU memory max',
      value: (r) => (r.gpuMemoryMaxMb === null ? 'not measured' : `${r.gpuMemoryMaxMb} MB`),
    },
    { label: 'Verdict', value: (r) => r.verdict.status },
  ];
  return (
    <Card size="3" data-testid="diagnostics-compare">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          Side by side
        </Heading>
        <Table.Root size="2" variant="surface" aria-label="Compared runs">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell />
              {runs.map((run, i) => (
                <Table.ColumnHeaderCell key={run.runId}>Run {i + 1}</Table.ColumnHeaderCell>
              ))}
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {rows.map((row) => (
              <Table.Row key={row.label}>
                <Table.RowHeaderCell>{row.label}</Table.RowHeaderCell>
                {runs.map((run) => (
                  <Table.Cell key={run.runId}>{row.value(run)}</Table.Cell>
                ))}
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      </Flex>
    </Card>
  );
}

function latencies(run: DiagnosticRun): string {
  const point = operatingLevel(run);
  if (!point) return '—';
  const { p50, p95, p99 } = point.latencyMs;
  return `${p50.toFixed(1)} / ${p95.toFixed(1)} / ${p99.toFixed(1)} ms`;
}
