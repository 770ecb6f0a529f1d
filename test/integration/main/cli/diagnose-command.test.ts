/**
 * `deckhand diagnose` end to end: a real agent with generated models installed through the device
 * protocol, a laptop data folder that trusts HQ's root, imported the signed bundle (with SLOs) and
 * pinned the device; then diagnostics from the laptop and on the device, judged against the SLO and
 * recorded in the deploy log. The slow model fails its p95 SLO, the flaky one its error-rate SLO.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { runAgent, type RunningAgent } from '../../../../agent/run-agent';
import { openBackend } from '../../../../main/services/backend';
import type { DiagnosticRun } from '../../../../core/diagnostics/diagnostic-report';
import { LAB_HARDWARE, connectTo } from '../../../support/agent-lab';
import { TEST_SLOS, installModels, makeModelBundle } from '../../../support/model-lab';
import { DECKHAND_BIN, type CliRun } from '../../../support/run-deckhand';

let agent: RunningAgent;
let dataDir: string;
let uri: string;

/** Runs the CLI without blocking this process (the agent under test lives here). */
function deckhand(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DECKHAND_BIN, '--data-dir', dataDir, ...args], {
      env: { ...process.env, DECKHAND_DATA_DIR: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function resultOf(run: CliRun): DiagnosticRun & { ok: boolean } {
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as DiagnosticRun & { ok: boolean };
  } catch {
    throw new Error(`not JSON: ${run.stdout}\n${run.stderr}`);
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-diagnose-'));
  dataDir = join(dir, 'laptop');
  const bundle = await makeModelBundle(dir, [
    { model: 'mlp', slo: TEST_SLOS.mlp },
    { model: 'slow', slo: TEST_SLOS.slow },
    { model: 'flaky', slo: TEST_SLOS.flaky },
    { model: 'conv' },
  ]);
  agent = await runAgent({
    stateDir: join(dir, 'device'),
    listen: '127.0.0.1:0',
    hardware: LAB_HARDWARE,
    serialNumber: 'SN-DIAG-1',
    trustRoot: bundle.rootFile,
    inference: { intraOpNumThreads: 1 },
  });
  const client = await connectTo(agent.address?.port ?? 0, agent.fingerprint);
  await installModels(client, bundle);
  client.close();
  uri = `tcp://127.0.0.1:${agent.address?.port ?? 0}`;
  // The laptop as the demo sets it up: HQ's root pinned, the bundle imported, the device pinned.
  const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
  try {
    backend.bundles.pin(bundle.rootFile);
    await backend.bundles.import({ path: bundle.bundleFile, jobId: randomUUID() });
    await backend.devices.add(uri);
    await backend.devices.confirmFingerprint(uri, agent.fingerprint);
  } finally {
    backend.close();
  }
}, 120_000);

afterAll(async () => {
  await agent?.close();
});

describe('deckhand diagnose', () => {
  it('measures a model from the laptop: percentiles, throughput, success rate, server and device stats, a passing verdict', async () => {
    const run = await deckhand([
      'diagnose',
      '--device',
      uri,
      '--model',
      'mlp',
      '--concurrency',
      '1,2',
      '--duration',
      '2s',
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = resultOf(run);
    expect(result).toMatchObject({
      ok: true,
      placement: 'from-laptop',
      modelName: 'mlp',
      modelVersion: '1.0.0',
    });
    expect(result.levels.map((l) => l.level)).toEqual([1, 2]);
    for (const level of result.levels) {
      expect(level.throughput).toBeGreaterThan(0);
      expect(level.successRate).toBe(1);
      const { p50, p90, p95, p99, max } = level.latencyMs;
      expect(p50).toBeGreaterThan(0);
      expect(p50 <= p90 && p90 <= p95 && p95 <= p99 && p99 <= max).toBe(true);
      expect(level.server?.successCount).toBeGreaterThan(0);
    }
    expect(result.windows.length).toBeGreaterThanOrEqual(6);
    expect(result.samplerSource).toBe('cpu');
    expect(result.slo).toEqual(TEST_SLOS.mlp);
    expect(result.verdict.status).toBe('pass');
    expect(result.verdict.checks.map((c) => c.field).sort()).toEqual([
      'maxErrorRate',
      'minThroughput',
      'p95Ms',
    ]);
    expect(run.stderr).toMatch(/concurrency 1 window 1:/);

    const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
    try {
      const kinds = (kind: string) =>
        backend.logs
          .query({ offset: 0, limit: 100, kind, device: undefined })
          .rows.filter((r) => (r.payload as { runId?: string }).runId === result.runId);
      expect(kinds('diagnostics.started')).toHaveLength(1);
      expect(kinds('diagnostics.window')).toHaveLength(result.windows.length);
      expect(kinds('diagnostics.completed')[0]?.payload).toMatchObject({ verdict: { status: 'pass' } });
      expect(kinds('diagnostics.samples').length).toBeLessThanOrEqual(1);
      expect(backend.diagnostics.history()[0]).toMatchObject({
        runId: result.runId,
        verdict: 'pass',
        modelName: 'mlp',
      });
      expect(backend.logs.verify().valid).toBe(true);
    } finally {
      backend.close();
    }
  }, 60_000);

  it('runs on the device (the agent loads its own server) and fails the slow model on p95', async () => {
    const run = await deckhand([
      'diagnose',
      '--device',
      uri,
      '--model',
      'slow',
      '--on-device',
      '--concurrency',
      '2',
      '--duration',
      '2s',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const result = resultOf(run);
    expect(result).toMatchObject({ ok: true, placement: 'on-device', modelName: 'slow' });
    expect(result.levels[0]?.latencyMs.p95).toBeGreaterThanOrEqual(40);
    const p95 = result.verdict.checks.find((c) => c.field === 'p95Ms');
    expect(p95).toMatchObject({ status: 'fail', threshold: 20 });
    expect(result.verdict.checks.find((c) => c.field === 'maxErrorRate')?.status).toBe('pass');
    expect(result.verdict.status).toBe('fail');
  }, 60_000);

  it('fails the flaky model on its error rate, counting the errors by kind', async () => {
    const run = await deckhand([
      'diagnose',
      '--device',
      uri,
      '--model',
      'flaky',
      '--duration',
      '2s',
      '--binary',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const result = resultOf(run);
    expect(result.totals.errors.http_5xx).toBeGreaterThan(0);
    expect(result.totals.successRate).toBeGreaterThan(0.7);
    expect(result.totals.successRate).toBeLessThan(0.9);
    expect(result.verdict.checks.find((c) => c.field === 'maxErrorRate')).toMatchObject({
      status: 'fail',
      threshold: 0.05,
    });
    expect(result.verdict.checks.find((c) => c.field === 'p95Ms')?.status).toBe('pass');
  }, 60_000);

  it('loads any OIP server by URL, and says when a model is missing', async () => {
    const byUrl = await deckhand([
      'diagnose',
      '--url',
      agent.inferenceUrl as string,
      '--model',
      'conv',
      '--request-rate',
      '50',
      '--duration',
      '1s',
      '--json',
    ]);
    expect(byUrl.code, byUrl.stderr).toBe(0);
    const result = resultOf(byUrl);
    expect(result.plan.mode).toBe('rate');
    expect(result.verdict.status).toBe('no_slo');
    expect(result.levels[0]?.throughput).toBeGreaterThan(20);

    const missing = await deckhand(['diagnose', '--device', uri, '--model', 'absent', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  }, 60_000);
});
