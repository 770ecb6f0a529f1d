// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { DiagnosticRun, DiagnosticWindow } from '../../../main/ipc/contract';
import { makeDevice } from './fake-bridge';
import { renderApp } from './render-app';

const DEVICE = 'tcp://127.0.0.1:7001';

function window0(index: number, throughput: number, p95: number): DiagnosticWindow {
  return {
    mode: 'concurrency',
    level: 1,
    index,
    startMs: 1_000 + index * 1000,
    endMs: 2_000 + index * 1000,
    requests: 100,
    successes: 100,
    errors: { http_4xx: 0, http_5xx: 0, timeout: 0, connection: 0, invalid_response: 0 },
    throughput,
    latencyMs: { p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.1, max: p95 * 2, mean: p95 / 2 },
    system: {
      samples: 2,
      gpuUtilizationMeanPct: null,
      gpuPowerMeanW: null,
      gpuMemoryMaxMb: null,
      gpuTemperatureMaxC: null,
      cpuLoadMeanPct: 40,
      memoryMaxMb: 1000,
      temperatureMaxC: null,
    },
  };
}

function makeRun(runId: string, status: 'pass' | 'fail', p95: number): DiagnosticRun {
  const windows = [0, 1, 2].map((i) => window0(i, 100, p95));
  const level = { ...windows[0]!, stable: true, windows: 3, successRate: 1, server: null, system: null };
  return {
    runId,
    device: DEVICE,
    url: 'http://127.0.0.1:8000',
    placement: 'from-laptop',
    modelName: 'slow',
    modelVersion: '1.0.0',
    plan: {
      mode: 'concurrency',
      levels: [1],
      warmupMs: 0,
      windowMs: 1000,
      maxWindows: 10,
      stableWindows: 3,
      stabilityThreshold: 0.1,
      requestTimeoutMs: 1000,
      binary: false,
    },
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:05.000Z',
    server: null,
    model: { name: 'slow', versions: ['1.0.0'], platform: 'onnxruntime_onnx', inputs: [], outputs: [] },
    levels: [level],
    windows,
    totals: { requests: 300, successes: 300, errors: level.errors, successRate: 1 },
    cancelled: false,
    samplerSource: 'cpu',
    samples: [],
    slo: { p95Ms: 20 },
    verdict: {
      status,
      operatingPoint: { mode: 'concurrency', level: 1 },
      checks: [
        {
          field: 'p95Ms',
          threshold: 20,
          measured: p95,
          unit: 'ms',
          status,
          summary: `p95 latency ${p95} ms`,
        },
      ],
    },
    gpuMemoryMaxMb: null,
  };
}

describe('Diagnostics screen', () => {
  it('runs a diagnostic on a chosen device and model, shows live windows, then the verdict', async () => {
    const user = userEvent.setup();
    const { fake, stores } = renderApp({ hash: '#/diagnostics' });
    fake.devices.list = [makeDevice(DEVICE)];
    fake.diagnostics.device = {
      inferenceUrl: 'http://127.0.0.1:8000',
      samplerSource: 'cpu',
      models: [{ name: 'slow', version: '1.0.0', sha256: 'ab', slo: { p95Ms: 20, maxErrorRate: 0.01 } }],
    };
    await act(() => stores.devices.getState().load());
    await act(() => stores.diagnostics.getState().chooseDevice(DEVICE));
    expect(await screen.findByTestId('diag-slo')).toHaveTextContent('SLO: p95 ≤ 20 ms, errors ≤ 1.0 %');
    await user.click(screen.getByRole('radio', { name: 'Full sweep' }));
    await user.click(screen.getByTestId('diag-start'));
    expect(fake.calls.find((c) => c.verb === 'diagnostics.start')?.input).toEqual({
      device: DEVICE,
      model: 'slow',
      profile: 'full',
      placement: 'from-laptop',
    });
    const runId = fake.diagnostics.nextRunId;
    act(() => fake.emit('diagnostics.window', { runId, window: window0(0, 95.5, 44) }));
    const live = await screen.findByTestId('diagnostics-live');
    expect(live).toHaveTextContent('Concurrency 1: 95.5 /s, p95 44.0 ms, 100/100 succeeded');
    expect(within(live).getByTestId('no-gpu-note')).toHaveTextContent(
      'no GPU statistics; its CPU load is shown',
    );

    const run = makeRun(runId, 'fail', 44);
    fake.diagnostics.runs = [run];
    act(() => fake.emit('diagnostics.finished', { runId, run, error: null }));
    const banner = await screen.findByTestId('verdict-banner');
    expect(banner).toHaveAttribute('data-verdict', 'fail');
    expect(banner).toHaveTextContent('FAIL — slow misses its SLO');
    expect(within(screen.getByTestId('slo-p95Ms')).getByText('Fail')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('diagnostics-run-row')).toHaveLength(1));
  });

  it('compares two runs side by side and says when nothing is online', async () => {
    const { fake, stores } = renderApp({ hash: '#/diagnostics' });
    fake.diagnostics.runs = [
      makeRun('00000000-0000-4000-8000-00000000000a', 'pass', 10),
      makeRun('00000000-0000-4000-8000-00000000000b', 'fail', 44),
    ];
    await act(() => stores.diagnostics.getState().loadRuns());
    await act(() => stores.devices.getState().load());
    expect(await screen.findByTestId('diagnostics-no-devices')).toBeInTheDocument();
    const user = userEvent.setup();
    const boxes = screen.getAllByRole('checkbox');
    await user.click(boxes[0]!);
    await user.click(boxes[1]!);
    const compare = await screen.findByTestId('diagnostics-compare');
    expect(compare).toHaveTextContent('Run 1');
    expect(compare).toHaveTextContent('Run 2');
    expect(compare).toHaveTextContent('pass');
    expect(compare).toHaveTextContent('fail');
  });
});
