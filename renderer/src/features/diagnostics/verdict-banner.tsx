/** The verdict: pass or fail in large type, then each SLO field with its measured value and threshold. */
import { Callout, Flex, Table, Text } from '@radix-ui/themes';
import { CheckCircledIcon, CrossCircledIcon, InfoCircledIcon } from '@radix-ui/react-icons';
import type { DiagnosticRun, SloCheck } from '../../bridge';

const FIELD_LABEL: Readonly<Record<SloCheck['field'], string>> = {
  p95Ms: 'p95 latency',
  minThroughput: 'Throughput',
  maxErrorRate: 'Error rate',
  maxGpuMemMb: 'GPU memory',
};

/** Props of VerdictBanner. */
export interface VerdictBannerProps {
  readonly run: DiagnosticRun;
}

/** Shows the run's verdict against its SLO. */
export function VerdictBanner({ run }: VerdictBannerProps) {
  const { verdict } = run;
  const color = verdict.status === 'pass' ? 'green' : verdict.status === 'fail' ? 'red' : 'gray';
  const headline =
    verdict.status === 'pass'
      ? `PASS — ${run.modelName} meets its SLO`
      : verdict.status === 'fail'
        ? `FAIL — ${run.modelName} misses its SLO`
        : verdict.status === 'no_slo'
          ? `${run.modelName} has no SLO in its bundle: measured, not judged`
          : 'Nothing was measured';
  return (
    <Flex direction="column" gap="3" data-testid="verdict-banner" data-verdict={verdict.status}>
      <Callout.Root color={color} highContrast size="3" role="status">
        <Callout.Icon>
          {verdict.status === 'pass' ? (
            <CheckCircledIcon aria-hidden />
          ) : verdict.status === 'fail' ? (
            <CrossCircledIcon aria-hidden />
          ) : (
            <InfoCircledIcon aria-hidden />
          )}
        </Callout.Icon>
        <Callout.Text size="5" weight="bold">
          {headline}
        </Callout.Text>
      </Callout.Root>
      {verdict.checks.length > 0 && (
        <Table.Root size="2" variant="surface" aria-label="SLO checks">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell>Objective</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Measured</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Threshold</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Result</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {verdict.checks.map((check) => (
              <Table.Row key={check.field} data-testid={`slo-${check.field}`}>
                <Table.RowHeaderCell>{FIELD_LABEL[check.field]}</Table.RowHeaderCell>
                <Table.Cell>{formatValue(check, check.measured)}</Table.Cell>
                <Table.Cell>
                  {check.field.startsWith('max') || check.field === 'p95Ms' ? '≤ ' : '≥ '}
                  {formatValue(check, check.threshold)}
                </Table.Cell>
                <Table.Cell>
                  <Text
                    weight="bold"
                    color={check.status === 'pass' ? 'green' : check.status === 'fail' ? 'red' : 'gray'}
                  >
                    {check.status === 'pass' ? 'Pass' : check.status === 'fail' ? 'Fail' : 'Not measured'}
                  </Text>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      )}
    </Flex>
  );
}

function formatValue(check: SloCheck, value: number | null): string {
  if (value === null) return '—';
  if (check.field === 'maxErrorRate') return `${(value * 100).toFixed(1)} %`;
  if (check.field === 'minThroughput') return `${value.toFixed(1)} /s`;
  if (check.field === 'p95Ms') return `${value.toFixed(1)} ms`;
  return `${value.toFixed(0)} MB`;
}
