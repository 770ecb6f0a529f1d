/**
 * Diagnostics: pick a device, one of its installed models and a profile (quick: about 30 s at
 * concurrency 1; full: a 1, 2, 4, 8 sweep), run it from the laptop or on the device, watch the
 * windows arrive on the charts, read the verdict against the model's SLO, and look back at, compare
 * and export earlier runs.
 */
import { useEffect } from 'react';
import { useStore } from 'zustand';
import { Badge, Button, Card, Flex, Heading, RadioCards, Select, Text } from '@radix-ui/themes';
import type { DiagnosticRun } from '../../bridge';
import type { LiveRun } from '../../state/diagnostics-store';
import { useStores } from '../../state/stores-context';
import { ErrorCallout } from '../../ui/error-callout';
import { DiagnosticsCharts } from './diagnostics-charts';
import { DiagnosticsCompare, DiagnosticsHistory } from './diagnostics-history';
import { operatingLevel } from './diagnostics-format';
import { VerdictBanner } from './verdict-banner';

/** The Diagnostics screen. */
export function DiagnosticsScreen() {
  const stores = useStores();
  const store = stores.diagnostics;
  const devices = useStore(stores.devices, (s) => s.devices);
  const loadDevices = useStore(stores.devices, (s) => s.load);
  const refreshDevices = useStore(stores.devices, (s) => s.refresh);
  const subscribeDevices = useStore(stores.devices, (s) => s.subscribe);
  const state = useStore(store);

  useEffect(() => {
    const off = state.subscribe();
    void state.loadRuns();
    return off;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- store actions are stable
  }, []);
  useEffect(() => {
    // Contact the devices now rather than at the next background refresh, so the list is current.
    void loadDevices().then(() => refreshDevices());
    return subscribeDevices();
  }, [loadDevices, refreshDevices, subscribeDevices]);

  // Devices being contacted stay choosable: picking one asks it for its models anyway.
  const usable = (devices ?? []).filter((d) => d.state === 'online' || d.state === 'checking');
  const modelInfo = state.deviceInfo?.models.find((m) => m.name === state.model) ?? null;
  const serial = state.device !== null && !state.device.startsWith('tcp://');

  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Heading as="h1" size="8">
        Diagnostics
      </Heading>
      {state.error !== null && (
        <ErrorCallout error={state.error} testId="diagnostics-error">
          <Flex>
            <Button size="3" variant="soft" color="red" onClick={state.dismissError}>
              Dismiss
            </Button>
          </Flex>
        </ErrorCallout>
      )}
      <Card size="3">
        <Flex direction="column" gap="4">
          <Heading as="h2" size="5">
            What to test
          </Heading>
          {devices !== null && usable.length === 0 ? (
            <Text as="p" size="4" color="gray" data-testid="diagnostics-no-devices">
              No device is online. Add and trust one on the Devices screen, and deploy a model to it.
            </Text>
          ) : (
            <Flex gap="4" wrap="wrap" align="end">
              <Flex direction="column" gap="1">
                <Text as="label" size="3" weight="bold" id="diag-device-label">
                  Device
                </Text>
                <Select.Root
                  size="3"
                  value={state.device ?? ''}
                  onValueChange={(uri) => void state.chooseDevice(uri)}
                >
                  <Select.Trigger
                    placeholder="Choose a device"
                    aria-labelledby="diag-device-label"
                    data-testid="diag-device"
                  />
                  <Select.Content>
                    {usable.map((d) => (
                      <Select.Item key={d.uri} value={d.uri}>
                        {d.identity?.serialNumber ?? d.label} — {d.uri}
                      </Select.Item>
                    ))}
                  </Select.Content>
                </Select.Root>
              </Flex>
              <Flex direction="column" gap="1">
                <Text as="label" size="3" weight="bold" id="diag-model-label">
                  Model
                </Text>
                <Select.Root
                  size="3"
                  value={state.model ?? ''}
                  onValueChange={state.chooseModel}
                  disabled={state.deviceInfo === null || state.deviceInfo.models.length === 0}
                >
                  <Select.Trigger
                    placeholder={state.loadingDevice ? 'Asking the device…' : 'Choose a model'}
                    aria-labelledby="diag-model-label"
                    data-testid="diag-model"
                  />
                  <Select.Content>
                    {(state.deviceInfo?.models ?? []).map((m) => (
                      <Select.Item key={m.name} value={m.name}>
                        {m.name} {m.version}
                      </Select.Item>
                    ))}
                  </Select.Content>
                </Select.Root>
              </Flex>
            </Flex>
          )}
          {state.deviceInfo !== null && state.deviceInfo.models.length === 0 && (
            <Text as="p" size="3" color="gray">
              This device has no model installed. Deploy one first.
            </Text>
          )}
          {modelInfo !== null && (
            <Text as="p" size="3" color="gray" data-testid="diag-slo">
              {modelInfo.slo === null
                ? 'This model has no SLO in its bundle: the run is measured, not judged.'
                : `SLO: ${[
                    modelInfo.slo.p95Ms !== undefined ? `p95 ≤ ${modelInfo.slo.p95Ms} ms` : null,
                    modelInfo.slo.minThroughput !== undefined
                      ? `throughput ≥ ${modelInfo.slo.minThroughput}/s`
                      : null,
                    modelInfo.slo.maxErrorRate !== undefined
                      ? `errors ≤ ${(modelInfo.slo.maxErrorRate * 100).toFixed(1)} %`
                      : null,
                    modelInfo.slo.maxGpuMemMb !== undefined
                      ? `GPU memory ≤ ${modelInfo.slo.maxGpuMemMb} MB`
                      : null,
                  ]
                    .filter(Boolean)
                    .join(', ')}`}
            </Text>
          )}
          <RadioCards.Root
            size="2"
            columns={{ initial: '1', sm: '2' }}
            value={state.profile}
            onValueChange={(v) => state.chooseProfile(v as 'quick' | 'full')}
            aria-label="Profile"
          >
            <RadioCards.Item value="quick" aria-label="Quick">
              <Flex direction="column">
                <Text weight="bold">Quick</Text>
                <Text size="2" color="gray">
                  One request at a time, about 30 s at most
                </Text>
              </Flex>
            </RadioCards.Item>
            <RadioCards.Item value="full" aria-label="Full sweep">
              <Flex direction="column">
                <Text weight="bold">Full sweep</Text>
                <Text size="2" color="gray">
                  Concurrency 1, 2, 4 and 8, up to 30 s each
                </Text>
              </Flex>
            </RadioCards.Item>
          </RadioCards.Root>
          <RadioCards.Root
            size="2"
            columns={{ initial: '1', sm: '2' }}
            value={state.placement}
            onValueChange={(v) => state.choosePlacement(v as 'on-device' | 'from-laptop')}
            aria-label="Where the load comes from"
          >
            <RadioCards.Item value="from-laptop" aria-label="From this laptop" disabled={serial}>
              <Flex direction="column">
                <Text weight="bold">From this laptop</Text>
                <Text size="2" color="gray">
                  End to end over the network{serial ? ' (not over serial)' : ''}
                </Text>
              </Flex>
            </RadioCards.Item>
            <RadioCards.Item value="on-device" aria-label="On the device">
              <Flex direction="column">
                <Text weight="bold">On the device</Text>
                <Text size="2" color="gray">
                  The device loads itself; works over serial
                </Text>
              </Flex>
            </RadioCards.Item>
          </RadioCards.Root>
          <Flex gap="3">
            <Button
              size="3"
              highContrast
              disabled={state.device === null || state.model === null || state.live !== null}
              onClick={() => void state.start()}
              data-testid="diag-start"
            >
              {state.live !== null ? 'Running…' : 'Run diagnostic'}
            </Button>
            {state.live !== null && (
              <Button size="3" variant="soft" color="red" onClick={() => void state.cancel()}>
                Stop
              </Button>
            )}
          </Flex>
        </Flex>
      </Card>
      {state.live !== null && <LivePanel live={state.live} />}
      {state.live === null && state.shown !== null && <RunPanel run={state.shown} />}
      <DiagnosticsCompare runs={state.compared} />
      <DiagnosticsHistory />
    </Flex>
  );
}

function LivePanel({ live }: { readonly live: LiveRun }) {
  const last = live.windows.at(-1);
  return (
    <Card size="3" data-testid="diagnostics-live">
      <Flex direction="column" gap="3">
        <Flex gap="3" align="center" wrap="wrap">
          <Heading as="h2" size="5">
            Measuring {live.model}
          </Heading>
          <Badge size="3" color="blue" highContrast>
            {live.windows.length} windows
          </Badge>
        </Flex>
        <Text size="3" aria-live="polite">
          {last === undefined
            ? 'Warming up…'
            : `${last.mode === 'rate' ? 'Rate' : 'Concurrency'} ${last.level}: ${last.throughput.toFixed(1)} /s, p95 ${last.latencyMs.p95.toFixed(1)} ms, ${last.successes}/${last.requests} succeeded`}
        </Text>
        <DiagnosticsCharts mode={last?.mode ?? 'concurrency'} levels={live.levels} windows={live.windows} />
      </Flex>
    </Card>
  );
}

function RunPanel({ run }: { readonly run: DiagnosticRun }) {
  const point = operatingLevel(run);
  const errors = Object.entries(run.totals.errors).filter(([, n]) => n > 0);
  return (
    <Card size="3" data-testid="diagnostics-result">
      <Flex direction="column" gap="4">
        <VerdictBanner run={run} />
        <Flex gap="5" wrap="wrap">
          <Figure label="Throughput" value={`${(point?.throughput ?? 0).toFixed(1)} /s`} />
          <Figure label="p50" value={`${(point?.latencyMs.p50 ?? 0).toFixed(1)} ms`} />
          <Figure label="p90" value={`${(point?.latencyMs.p90 ?? 0).toFixed(1)} ms`} />
          <Figure label="p95" value={`${(point?.latencyMs.p95 ?? 0).toFixed(1)} ms`} />
          <Figure label="p99" value={`${(point?.latencyMs.p99 ?? 0).toFixed(1)} ms`} />
          <Figure label="Requests" value={String(run.totals.requests)} />
          <Figure label="Success" value={`${(run.totals.successRate * 100).toFixed(1)} %`} />
        </Flex>
        {errors.length > 0 && (
          <Text size="3" color="red">
            Errors: {errors.map(([kind, n]) => `${kind.replace('_', ' ')} ${n}`).join(', ')}
          </Text>
        )}
        <Text size="2" color="gray">
          {run.placement === 'on-device' ? 'Measured on the device' : 'Measured from this laptop'} at{' '}
          {run.url}
          {run.samplerSource ? ` · device statistics from ${run.samplerSource}` : ''}
        </Text>
        <DiagnosticsCharts mode={run.plan.mode} levels={run.levels} windows={run.windows} />
      </Flex>
    </Card>
  );
}

function Figure({ label, value }: { readonly label: string; readonly value: string }) {
  return (
    <Flex direction="column">
      <Text size="2" color="gray">
        {label}
      </Text>
      <Text size="6" weight="bold">
        {value}
      </Text>
    </Flex>
  );
}
