/**
 * Deploying end to end: 8 device agents, each its own `deckhand agent` process, and the browser host
 * as its own process on a data folder where the HQ root is pinned and the devices are trusted. Through
 * the UI: import the bundle, deploy a release to all 8 in parallel (all commit); deploy a release whose
 * health check fails on one device (it rolls back, with the reason shown, while the others commit);
 * deploy a model to one device and roll it back on request; then kill the host with SIGKILL mid-transfer, start it again, and see the run reconciled from the
 * devices, each device's own state read back with `deckhand devices`: none is left half-installed.
 * Screenshots go to test/artifacts/screenshots/deploy-*.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { openBackend } from '../../main/services/backend';
import {
  CAMERA_FAULT_ENV,
  CAMERA_FAULT_TEXT,
  runCli,
  startAgentProcess,
  startHostProcess,
  writeFleetBundle,
  type AgentProcess,
  type FleetBundle,
  type HostProcess,
} from './support/deploy-fleet';
import { undersizedControls } from './support/ui-checks';

const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

/** Big enough that 8 parallel transfers are still running when the test kills the host. */
const BIG_RELEASE_BYTES = 12 * 1024 * 1024;
const DEVICES = 8;

test.describe.configure({ mode: 'serial' });

test.describe('Deploy', () => {
  let workspace: string;
  let dataDir: string;
  let bundle: FleetBundle;
  let agents: AgentProcess[] = [];
  let host: HostProcess;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  test.beforeAll(async ({ browser }) => {
    // Eight agent processes start at once; on a loaded 2-core machine that alone can take a while.
    test.setTimeout(180_000);
    workspace = mkdtempSync(join(tmpdir(), 'deckhand-e2e-deploy-'));
    dataDir = join(workspace, 'laptop');
    bundle = await writeFleetBundle(workspace, BIG_RELEASE_BYTES);
    // Device 1's camera is missing: edge-app 1.2.0's health check fails there and only there.
    const started = await Promise.allSettled(
      Array.from({ length: DEVICES }, (_, i) =>
        startAgentProcess(workspace, bundle.rootFile, i, i === 0 ? { [CAMERA_FAULT_ENV]: 'missing' } : {}),
      ),
    );
    // Keep every agent that did start, so afterAll stops it even when another failed.
    agents = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    // The laptop trusts HQ's root and has met the devices (their fingerprints were compared).
    const backend = openBackend({ dataDir, host: 'cli', version: '0.0.0-e2e' });
    try {
      backend.bundles.pin(bundle.rootFile);
      await Promise.all(
        agents.map(async (agent) => {
          await backend.devices.add(agent.uri);
          await backend.devices.confirmFingerprint(agent.uri, agent.fingerprint);
        }),
      );
    } finally {
      backend.close();
    }
    host = await startHostProcess(dataDir);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await openPage(host);
  });

  test.afterAll(async () => {
    await context?.close();
    await host?.stop();
    await Promise.all(agents.map((agent) => agent.stop()));
    rmSync(workspace, { recursive: true, force: true });
  });

  async function openPage(running: HostProcess): Promise<Page> {
    const next = await context.newPage();
    next.on('pageerror', (error) => errors.push(error.message));
    await next.goto(running.url);
    await expect(next.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    return next;
  }

  /**
   * Selects devices by filtering on their serial numbers ('DEMO-' for all 8): the host also lists
   * the machine's own serial ports, which are no devices of this test.
   */
  async function selectDevices(filter: string, count: number): Promise<void> {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('textbox', { name: 'Filter devices' }).fill(filter);
    await expect(page.getByTestId('deploy-device')).toHaveCount(count);
    await page.getByRole('button', { name: 'Select all shown' }).click();
    await expect(page.getByText(new RegExp(`^${count} of \\d+ selected$`))).toBeVisible();
  }

  /** Chooses a target and devices, checks compatibility (all to deploy) and starts. */
  async function deploy(target: string, filter = 'DEMO-', count = DEVICES): Promise<void> {
    await page.goto(`${host.origin}/#/deploy`);
    await page.getByRole('radio', { name: target }).click();
    await selectDevices(filter, count);
    await page.getByRole('button', { name: 'Check compatibility' }).click();
    await expect(page.getByTestId('deploy-plan-action').filter({ hasText: 'Will deploy' })).toHaveCount(
      count,
    );
    await page
      .getByRole('button', { name: count === 1 ? 'Deploy to 1 device' : `Deploy to ${count} devices` })
      .click();
    // The new run replaces the one shown before.
    await expect(page.getByTestId('deploy-run')).toContainText(
      `${target} on ${count} ${count === 1 ? 'device' : 'devices'}`,
    );
  }

  test('imports the bundle and deploys a release to all 8 devices in parallel, all committed', async () => {
    test.setTimeout(60_000);
    await page.goto(`${host.origin}/#/bundles`);
    await page.getByLabel('Bundle file (.dhb) or folder').fill(bundle.bundleFile);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByTestId('import-outcome')).toContainText('Imported e2e-site.dhb');

    await page.goto(`${host.origin}/#/deploy`);
    await expect(page.getByTestId('deploy-target')).toHaveCount(4);
    await page.getByRole('radio', { name: 'edge-app 1.1.0' }).click();
    // The filter narrows the checklist by hardware.
    await page.getByRole('textbox', { name: 'Filter devices' }).fill('rpi-cm4');
    await expect(page.getByTestId('deploy-device')).toHaveCount(3);
    await selectDevices('DEMO-', DEVICES);
    await page.getByRole('button', { name: 'Check compatibility' }).click();
    await expect(page.getByTestId('deploy-plan-row')).toHaveCount(DEVICES);
    await expect(page.getByTestId('deploy-plan-action').filter({ hasText: 'Will deploy' })).toHaveCount(
      DEVICES,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-plan.png'), fullPage: true });
    expect(await undersizedControls(page), 'deploy-plan: controls under 44 px').toEqual([]);

    await page.getByRole('button', { name: `Deploy to ${DEVICES} devices` }).click();
    const run = page.getByTestId('deploy-run');
    await expect(run).toHaveAttribute('data-status', 'finished', { timeout: 45_000 });
    await expect(run.getByTestId('deploy-count-committed')).toHaveText(`${DEVICES} committed`);
    await expect(run.locator('[data-testid=deploy-device-row][data-outcome=committed]')).toHaveCount(DEVICES);
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-committed.png'), fullPage: true });
    expect(await undersizedControls(page), 'deploy-committed: controls under 44 px').toEqual([]);

    await page.goto(`${host.origin}/#/overview`);
    await expect(page.getByTestId('overview-device')).toHaveCount(DEVICES);
    await expect(page.getByTestId('overview-device-outcome').filter({ hasText: 'Committed' })).toHaveCount(
      DEVICES,
    );
    await expect(page.getByLabel('Last 7 days')).toContainText(`(${DEVICES} deploys)`);
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-overview.png'), fullPage: true });
    expect(await undersizedControls(page), 'overview: controls under 44 px').toEqual([]);
  });

  test('a release whose health check fails rolls back on its device with the reason, while the others commit', async () => {
    test.setTimeout(60_000);
    await deploy('edge-app 1.2.0');
    const run = page.getByTestId('deploy-run');
    await expect(run).toHaveAttribute('data-status', 'finished', { timeout: 45_000 });
    await expect(run.getByTestId('deploy-count-committed')).toHaveText(`${DEVICES - 1} committed`);
    await expect(run.getByTestId('deploy-count-rolled-back')).toHaveText('1 rolled back');
    const failing = run.getByLabel(`Run on ${agents[0]!.uri}`);
    await expect(failing.getByTestId('deploy-device-outcome')).toHaveText('Rolled back');
    await expect(failing.getByTestId('deploy-device-reason')).toContainText(
      `The health check failed: The health script failed (1). edge-app 1.2.0: the inference service did not start (${CAMERA_FAULT_TEXT})`,
    );
    await expect(run.getByRole('button', { name: 'Retry 1 not committed' })).toBeVisible();
    await failing.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-rolled-back.png'), fullPage: true });
    expect(await undersizedControls(page), 'deploy-rolled-back: controls under 44 px').toEqual([]);
  });

  test('a model deployed to one device is rolled back on request', async () => {
    test.setTimeout(60_000);
    await deploy('detector 1.0.0', 'DEMO-002', 1);
    const run = page.getByTestId('deploy-run');
    await expect(run).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
    await expect(run.getByTestId('deploy-count-committed')).toHaveText('1 committed');
    await run.getByRole('button', { name: `Roll back ${agents[1]!.uri}` }).click();
    await expect(page.getByTestId('deploy-notice')).toContainText(
      'Rolled back (requested by the technician); the device runs its previous model.',
    );
    await expect(page.getByTestId('deploy-error')).toHaveCount(0);
  });

  test('a host killed mid-transfer resumes the run from the devices, none left half-installed', async () => {
    test.setTimeout(90_000);
    await deploy('edge-app 1.3.0');
    // Wait until bytes are moving, then cut the power.
    await expect(
      page
        .getByTestId('deploy-device-step')
        .filter({ hasText: /Sending .*\([1-9]\d?%\)/ })
        .first(),
    ).toBeVisible({
      timeout: 20_000,
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-progress.png'), fullPage: true });
    await host.kill();
    await expect(page.getByTestId('connection-banner')).toBeVisible();
    await page.close();

    host = await startHostProcess(dataDir);
    page = await openPage(host);
    await page.goto(`${host.origin}/#/deploy`);
    const run = page.getByTestId('deploy-run');
    await expect(run).toContainText('edge-app 1.3.0 on 8 devices');
    await expect(run).toHaveAttribute('data-status', 'finished', { timeout: 60_000 });
    await expect(run.getByTestId('deploy-count-committed')).toHaveText(`${DEVICES} committed`);
    await page.screenshot({ path: join(SCREENSHOTS, 'deploy-resumed.png'), fullPage: true });

    // Each device's own word: one confirmed release booted, nothing pending or on trial.
    const read = await runCli([
      'devices',
      ...agents.flatMap((agent) => ['--device', agent.uri]),
      '--json',
      '--data-dir',
      dataDir,
    ]);
    const reports = (
      JSON.parse(read.stdout) as {
        devices: {
          uri: string;
          ok: boolean;
          status?: {
            booted: 'a' | 'b' | null;
            confirmed: 'a' | 'b' | null;
            pending: 'a' | 'b' | null;
            trial: boolean;
            slots: Record<'a' | 'b', { version: string } | null>;
          };
        }[];
      }
    ).devices;
    expect(reports).toHaveLength(DEVICES);
    for (const report of reports) {
      expect(report.ok, report.uri).toBe(true);
      const status = report.status!;
      expect({ uri: report.uri, trial: status.trial, pending: status.pending }).toEqual({
        uri: report.uri,
        trial: false,
        pending: null,
      });
      expect(status.confirmed).toBe(status.booted);
      expect(status.slots[status.booted!]?.version).toBe('1.3.0');
    }
    expect(errors).toEqual([]);
  });
});
