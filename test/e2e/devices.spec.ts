/**
 * The Devices screen end to end: `deckhand demo` is the host process (simulated agents, pinned in its
 * own demo data folder, and the real renderer); the screen shows that fleet, then a new agent is added
 * by URI and trusted only after its first-contact fingerprint is shown. Screenshots go to
 * test/artifacts/screenshots/devices-*.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type BrowserContext } from '@playwright/test';
import type { RunningAgent } from '../../agent/run-agent';
import { startAgent } from '../support/agent-lab';
import { undersizedControls } from './support/ui-checks';

const BIN = fileURLToPath(new URL('../../bin/deckhand.mjs', import.meta.url));
const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

interface DemoReady {
  url: string;
  workspace: string;
  devices: { uri: string; serialNumber: string; link: string }[];
}

function startDemo(): Promise<{ child: ChildProcess; ready: DemoReady }> {
  const child = spawn(process.execPath, [BIN, 'demo', '--devices', '3', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DECKHAND_DATA_DIR: '' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, ready: JSON.parse(out.split('\n')[0]!) as DemoReady });
    });
    child.once('exit', (code) => reject(new Error(`deckhand demo exited with ${code}`)));
  });
}

test.describe('Devices screen', () => {
  let demo: { child: ChildProcess; ready: DemoReady };
  let origin: string;
  let context: BrowserContext;
  let agentDir: string;
  let newcomer: RunningAgent;

  test.beforeAll(async ({ browser }) => {
    demo = await startDemo();
    origin = new URL(demo.ready.url).origin;
    agentDir = mkdtempSync(join(tmpdir(), 'deckhand-e2e-agent-'));
    newcomer = await startAgent(join(agentDir, 'state'), undefined, 'SN-E2E-NEW');
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(demo.ready.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await page.close();
  });

  test.afterAll(async () => {
    await context.close();
    await newcomer.close();
    demo.child.kill('SIGINT');
    rmSync(agentDir, { recursive: true, force: true });
  });

  test('shows the demo fleet with identity, slots and health', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}/#/devices`);
    await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();
    const cards = page.getByTestId('device-card');
    await expect(cards).toHaveCount(demo.ready.devices.length);
    for (const device of demo.ready.devices) {
      const card = page.getByLabel(`Device ${device.uri}`);
      await expect(card.getByTestId('device-state')).toHaveText('Online');
      await expect(card).toContainText(device.serialNumber);
      await expect(card.getByTestId('device-slot-a')).toContainText('Empty');
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-fleet.png'), fullPage: true });
    expect(await undersizedControls(page), 'devices-fleet: controls under 44 px').toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('adds a device by URI and trusts it only after showing its fingerprint', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/#/devices`);
    const uri = `tcp://127.0.0.1:${newcomer.address!.port}`;
    await page.getByRole('textbox', { name: 'Device address' }).fill(uri);
    await page.getByRole('button', { name: 'Add device' }).click();
    const card = page.getByLabel(`Device ${uri}`);
    await expect(card.getByTestId('device-state')).toHaveText('Needs confirmation');
    await expect(card.getByTestId('device-fingerprint')).toHaveText(newcomer.fingerprint);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-first-contact.png'), fullPage: true });
    expect(await undersizedControls(page), 'devices-first-contact: controls under 44 px').toEqual([]);

    await card.getByRole('button', { name: 'Trust' }).click();
    await expect(card.getByTestId('device-state')).toHaveText('Online');
    await expect(card).toContainText('SN-E2E-NEW');
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-trusted.png'), fullPage: true });
    expect(await undersizedControls(page), 'devices-trusted: controls under 44 px').toEqual([]);
    await page.close();
  });
});
