/**
 * The Diagnostics screen end to end: a device agent in its own process with the generated test models
 * installed through the device protocol, `deckhand host` over a data folder that trusts HQ's root,
 * imported the signed bundle (with SLOs) and pinned the device. From the UI: a quick diagnostic of
 * the MLP passes, the slow model fails its p95 SLO; charts, verdicts, history, comparison and the CSV
 * export are checked. Screenshots go to test/artifacts/screenshots/diagnostics-*.png.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { parseAgentUri } from '../../core/device-uri/device-uri';
import { connectAgent } from '../../main/adapters/agent-client/agent-connection';
import { provisionModels } from '../../main/services/diagnostics/model-provisioning';
import { LAB_HARDWARE } from '../support/agent-lab';
import { TEST_SLOS, makeModelBundle, type ModelBundle } from '../support/model-lab';
import { startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const BIN = fileURLToPath(new URL('../../bin/deckhand.mjs', import.meta.url));
const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

interface AgentReady {
  uri: string;
  fingerprint: string;
  inferenceUrl: string;
}

function startAgentProcess(
  stateDir: string,
  root: string,
): Promise<{ child: ChildProcess; ready: AgentReady }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--state',
      stateDir,
      '--listen',
      '127.0.0.1:0',
      '--hardware',
      LAB_HARDWARE,
      '--trust',
      root,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, ready: JSON.parse(out.split('\n')[0]!) as AgentReady });
    });
    child.once('exit', (code) => reject(new Error(`deckhand agent exited with ${code}`)));
  });
}

function cli(dataDir: string, args: string[]): void {
  const run = spawnSync(process.execPath, [BIN, '--data-dir', dataDir, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`deckhand ${args.join(' ')} failed: ${run.stderr}${run.stdout}`);
}

async function pick(page: Page, trigger: string, option: RegExp): Promise<void> {
  await page.getByTestId(trigger).click();
  await page.getByRole('option', { name: option }).click();
}

test.describe('Diagnostics screen', () => {
  test.describe.configure({ timeout: 180_000 });
  let workspace: string;
  let bundle: ModelBundle;
  let agent: { child: ChildProcess; ready: AgentReady };
  let host: RunningHost;

  test.beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'deckhand-e2e-diag-'));
    bundle = await makeModelBundle(workspace, [
      { model: 'mlp', slo: TEST_SLOS.mlp },
      { model: 'slow', slo: TEST_SLOS.slow },
    ]);
    agent = await startAgentProcess(join(workspace, 'device'), bundle.rootFile);
    const uri = parseAgentUri(agent.ready.uri);
    if (!uri.ok) throw new Error(uri.error.message);
    const client = await connectAgent(uri.value, { fingerprint: agent.ready.fingerprint, timeoutMs: 10_000 });
    try {
      await provisionModels(client, bundle.bundleFile, bundle.models);
    } finally {
      client.close();
    }
    host = await startHost((dataDir) => {
      cli(dataDir, ['trust', 'pin', bundle.rootFile]);
      cli(dataDir, ['import', bundle.bundleFile]);
      cli(dataDir, ['devices', '--device', agent.ready.uri, '--trust-fingerprint', agent.ready.fingerprint]);
    });
  });

  test.afterAll(async () => {
    await host?.stop();
    agent?.child.kill('SIGTERM');
    rmSync(workspace, { recursive: true, force: true });
  });

  test('runs diagnostics from the UI: live charts, verdicts, history, comparison and export', async ({
    browser,
  }) => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(host.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    // The device was pinned from the CLI; the technician adds it to the list on the Devices screen.
    await page.goto(`${host.origin}/#/devices`);
    await page.getByRole('textbox', { name: 'Device address' }).fill(agent.ready.uri);
    await page.getByRole('button', { name: 'Add device' }).click();
    await expect(page.getByLabel(`Device ${agent.ready.uri}`).getByTestId('device-state')).toHaveText(
      'Online',
    );
    await page.goto(`${host.origin}/#/diagnostics`);
    await expect(page.getByRole('heading', { level: 1, name: 'Diagnostics' })).toBeVisible();
    await expect(page.getByTestId('diagnostics-no-history')).toBeVisible();

    await pick(page, 'diag-device', /127\.0\.0\.1/);
    await pick(page, 'diag-model', /^mlp/);
    await expect(page.getByTestId('diag-slo')).toContainText('p95 ≤ 2000 ms');
    await page.getByTestId('diag-start').click();
    await expect(page.getByTestId('diagnostics-live')).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId('diagnostics-live')).toContainText(/Concurrency 1: [\d.]+ \/s/, {
      timeout: 20_000,
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'diagnostics-live.png'), fullPage: true });

    const banner = page.getByTestId('verdict-banner');
    await expect(banner).toHaveAttribute('data-verdict', 'pass', { timeout: 60_000 });
    await expect(banner).toContainText('PASS — mlp meets its SLO');
    const result = page.getByTestId('diagnostics-result');
    await result.getByTestId('chart-sweep').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'diagnostics-pass.png'), fullPage: true });
    // One level: the sweep chart has its points; the windows over time make a line.
    await expect(result.getByTestId('chart-sweep').locator('.recharts-line-dot').first()).toBeVisible();
    await expect(result.getByTestId('chart-system').locator('.recharts-line-curve').first()).toBeVisible();
    await expect(result.getByTestId('no-gpu-note')).toContainText('CPU load');
    expect(await undersizedControls(page), 'diagnostics-pass: controls under 44 px').toEqual([]);

    await pick(page, 'diag-model', /^slow/);
    await page.getByRole('radio', { name: 'On the device' }).click();
    await page.getByTestId('diag-start').click();
    await expect(banner).toHaveAttribute('data-verdict', 'fail', { timeout: 60_000 });
    await expect(banner).toContainText('FAIL — slow misses its SLO');
    await expect(page.getByTestId('slo-p95Ms')).toContainText('Fail');
    await expect(page.getByTestId('slo-maxErrorRate')).toContainText('Pass');
    await page.screenshot({ path: join(SCREENSHOTS, 'diagnostics-fail.png'), fullPage: true });

    const rows = page.getByTestId('diagnostics-run-row');
    await expect(rows).toHaveCount(2);
    await rows.nth(0).getByRole('checkbox').click();
    await rows.nth(1).getByRole('checkbox').click();
    const compare = page.getByTestId('diagnostics-compare');
    await expect(compare).toContainText('On the device');
    await expect(compare).toContainText('From the laptop');
    await page.screenshot({ path: join(SCREENSHOTS, 'diagnostics-compare.png'), fullPage: true });
    expect(await undersizedControls(page), 'diagnostics-compare: controls under 44 px').toEqual([]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      rows.nth(1).getByRole('button', { name: 'CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^diagnostic-mlp-.*\.csv$/);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    expect(csv.split('\r\n')[0]).toContain('throughput_per_s,p50_ms,p90_ms,p95_ms,p99_ms');
    expect(csv).toMatch(/\r\nwindow,concurrency,1,0,/);
    expect(errors).toEqual([]);
    await context.close();
  });
});
