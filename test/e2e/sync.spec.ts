/**
 * The Sync screen end to end: a real `deckhand hq serve` process, the browser host over a data
 * folder with events, enrolment from the screen, then Sync now until nothing is pending and HQ's
 * receipt shows. Screenshots go to test/artifacts/screenshots/sync-*.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type BrowserContext } from '@playwright/test';
import { seedEvents, startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const BIN = fileURLToPath(new URL('../../bin/deckhand.mjs', import.meta.url));
const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

function startHq(dir: string): Promise<{ child: ChildProcess; url: string; fingerprint: string }> {
  const child = spawn(
    process.execPath,
    [BIN, 'hq', 'serve', '--listen', '127.0.0.1:0', '--db', `sqlite:${join(dir, 'hq.db')}`, '--json'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DECKHAND_DATA_DIR: dir },
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) {
        const line = JSON.parse(out.split('\n')[0]!) as { url: string; fingerprint: string };
        resolve({ child, url: line.url, fingerprint: line.fingerprint });
      }
    });
    child.once('exit', (code) => reject(new Error(`hq serve exited with ${code}`)));
  });
}

test.describe('Sync screen', () => {
  let hqDir: string;
  let hq: { child: ChildProcess; url: string; fingerprint: string };
  let host: RunningHost;
  let context: BrowserContext;

  test.beforeAll(async ({ browser }) => {
    hqDir = mkdtempSync(join(tmpdir(), 'deckhand-e2e-hq-'));
    hq = await startHq(hqDir);
    const passphrase = join(hqDir, 'passphrase');
    writeFileSync(passphrase, 'e2e passphrase\n');
    host = await startHost((dataDir) => seedEvents(dataDir, 2500), {
      DECKHAND_KEY_PASSPHRASE_FILE: passphrase,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(host.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await page.close();
  });

  test.afterAll(async () => {
    await context.close();
    await host.stop();
    hq.child.kill('SIGTERM');
    rmSync(hqDir, { recursive: true, force: true });
  });

  test('enrols with HQ, syncs every pending event, and shows the receipt', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${host.origin}/#/sync`);
    await expect(page.getByRole('heading', { level: 1, name: 'Sync' })).toBeVisible();
    await page.getByRole('textbox', { name: 'HQ address' }).fill(hq.url);
    await page.getByRole('textbox', { name: 'Your name' }).fill('Ada Field');
    await page.getByRole('textbox', { name: /Certificate fingerprint/ }).fill(hq.fingerprint);
    await page.screenshot({ path: join(SCREENSHOTS, 'sync-enrol.png'), fullPage: true });
    expect(await undersizedControls(page), 'sync-enrol: controls under 44 px').toEqual([]);
    await page.getByRole('button', { name: 'Enrol' }).click();

    await expect(page.getByTestId('sync-pending')).toHaveText('2,500 events');
    await expect(page.getByTestId('sync-reachability')).toHaveText('Reachable');
    await expect(page.getByText(hq.fingerprint)).toBeVisible();
    await expect(page.getByTestId('sync-receipt')).toContainText('None yet');
    await page.screenshot({ path: join(SCREENSHOTS, 'sync-pending.png'), fullPage: true });
    expect(await undersizedControls(page), 'sync-pending: controls under 44 px').toEqual([]);

    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect(page.getByTestId('sync-pending')).toHaveText('0 events');
    await expect(page.getByTestId('sync-done')).toHaveText('Sent 2,500 events to HQ.');
    await expect(page.getByTestId('sync-receipt')).toContainText('events 1–2,500');
    await page.screenshot({ path: join(SCREENSHOTS, 'sync-synced.png'), fullPage: true });
    expect(await undersizedControls(page), 'sync-synced: controls under 44 px').toEqual([]);

    await page.getByRole('button', { name: 'Sync now' }).click();
    await expect(page.getByTestId('sync-done')).toHaveText(
      'Nothing new to send: HQ already holds every event.',
    );
    expect(errors).toEqual([]);
    await page.close();
  });
});
