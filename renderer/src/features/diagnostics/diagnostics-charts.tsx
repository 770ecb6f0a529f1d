/**
 * The run's charts (recharts): throughput and p95 latency against the load level, and the device's
 * GPU utilisation, memory, temperature and power over the measurement windows. A figure the device
 * did not report (a CPU-only device) is said in words, never drawn as zero.
 */
import { Card, Flex, Heading, Text } from '@radix-ui/themes';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { DiagnosticLevel, DiagnosticWindow } from '../../bridge';

/** Two charts side by side on a laptop screen, stacked on a narrow one. */
const CHART_CARD = { flex: '1 1 26rem', minWidth: 0 } as const;

/** Props of the charts. */
export interface DiagnosticsChartsProps {
  readonly mode: 'concurrency' | 'rate';
  readonly levels: readonly DiagnosticLevel[];
  readonly windows: readonly DiagnosticWindow[];
}

/** Throughput and p95 against the level; GPU figures over time. */
export function DiagnosticsCharts({ mode, levels, windows }: DiagnosticsChartsProps) {
  const levelLabel = mode === 'rate' ? 'Request rate (/s)' : 'Concurrency';
  // Before a level finishes, its windows stand in for it, so the sweep chart moves from the start.
  const byLevel = new Map<number, { level: number; throughput: number; p95: number }>();
  for (const w of windows)
    byLevel.set(w.level, { level: w.level, throughput: w.throughput, p95: w.latencyMs.p95 });
  for (const l of levels)
    byLevel.set(l.level, { level: l.level, throughput: l.throughput, p95: l.latencyMs.p95 });
  const sweep = [...byLevel.values()].sort((a, b) => a.level - b.level);
  const t0 = windows[0]?.startMs ?? 0;
  const overTime = windows.map((w) => ({
    t: Math.round((w.endMs - t0) / 100) / 10,
    util: w.system?.gpuUtilizationMeanPct ?? null,
    memory: w.system?.gpuMemoryMaxMb ?? null,
    temperature: w.system?.gpuTemperatureMaxC ?? null,
    power: w.system?.gpuPowerMeanW ?? null,
    cpu: w.system?.cpuLoadMeanPct ?? null,
    throughput: w.throughput,
  }));
  const hasGpu = overTime.some(
    (p) => p.util !== null || p.memory !== null || p.temperature !== null || p.power !== null,
  );
  const hasCpu = overTime.some((p) => p.cpu !== null);
  return (
    <Flex gap="4" wrap="wrap" data-testid="diagnostics-charts">
      <Card size="3" style={CHART_CARD}>
        <Heading as="h3" size="4" mb="2">
          Throughput and p95 latency by {mode === 'rate' ? 'request rate' : 'concurrency'}
        </Heading>
        <div className="dh-chart" data-testid="chart-sweep" aria-label="Throughput and p95 latency chart">
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={sweep} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="level"
                type="category"
                label={{ value: levelLabel, position: 'insideBottom', offset: -12 }}
              />
              <YAxis yAxisId="throughput" label={{ value: '/s', angle: -90, position: 'insideLeft' }} />
              <YAxis
                yAxisId="p95"
                orientation="right"
                label={{ value: 'ms', angle: 90, position: 'insideRight' }}
              />
              <Tooltip />
              <Legend verticalAlign="top" />
              <Line
                yAxisId="throughput"
                dataKey="throughput"
                name="Throughput (/s)"
                stroke="var(--accent-11)"
                strokeWidth={3}
                isAnimationActive={false}
              />
              <Line
                yAxisId="p95"
                dataKey="p95"
                name="p95 latency (ms)"
                stroke="var(--orange-11)"
                strokeWidth={3}
                strokeDasharray="6 3"
                isAnimationActive={false}
              />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </Card>
      <Card size="3" style={CHART_CARD}>
        <Heading as="h3" size="4" mb="2">
          {hasGpu ? 'GPU over time' : 'Device over time'}
        </Heading>
        {!hasGpu && (
          <Text as="p" size="3" color="gray" data-testid="no-gpu-note">
            {hasCpu
              ? 'This device reports no GPU statistics; its CPU load is shown instead.'
              : 'No device statistics for this run (the device has no statistics source reachable from here).'}
          </Text>
        )}
        <div className="dh-chart" data-testid="chart-system" aria-label="Device statistics chart">
          <ResponsiveContainer width="100%" height={hasGpu ? 260 : 220}>
            <LineChart data={overTime} margin={{ top: 8, right: 16, bottom: 24, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                domain={['dataMin', 'dataMax']}
                label={{ value: 'seconds', position: 'insideBottom', offset: -12 }}
              />
              <YAxis yAxisId="left" />
              <YAxis yAxisId="right" orientation="right" />
              <Tooltip />
              <Legend verticalAlign="top" />
              {hasGpu ? (
                <>
                  <Line
                    yAxisId="left"
                    dataKey="util"
                    name="GPU utilisation (%)"
                    stroke="var(--accent-11)"
                    strokeWidth={3}
                    connectNulls
                    isAnimationActive={false}
                  />
                  <Line
                    yAxisId="left"
                    dataKey="temperature"
                    name="Temperature (°C)"
                    stroke="var(--red-11)"
                    strokeWidth={3}
                    strokeDasharray="2 2"
                    connectNulls
                    isAnimationActive={false}
                  />
                  <Line
                    yAxisId="left"
                    dataKey="power"
                    name="Power (W)"
                    stroke="var(--orange-11)"
                    strokeWidth={3}
                    strokeDasharray="6 3"
                    connectNulls
                    isAnimationActive={false}
                  />
                  <Line
                    yAxisId="right"
                    dataKey="memory"
                    name="GPU memory (MB)"
                    stroke="var(--green-11)"
                    strokeWidth={3}
                    strokeDasharray="10 4"
                    connectNulls
                    isAnimationActive={false}
                  />
                </>
              ) : (
                <>
                  {hasCpu && (
                    <Line
                      yAxisId="left"
                      dataKey="cpu"
                      name="CPU load (%)"
                      stroke="var(--green-11)"
                      strokeWidth={3}
                      connectNulls
                      isAnimationActive={false}
                    />
                  )}
                  <Line
                    yAxisId="right"
                    dataKey="throughput"
                    name="Throughput (/s)"
                    stroke="var(--accent-11)"
                    strokeWidth={3}
                    isAnimationActive={false}
                  />
                </>
              )}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </Card>
    </Flex>
  );
}
