/**
 * The app end to end: Chromium against the real `deckhand host` process and a real data folder.
 * Screenshots of every screen go to test/artifacts/screenshots/ for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { DB_FILE_NAME } from '../../main/db/database';
import { seedEvents, startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
const SCREENS = [
  'Overview',
  'Bundles',
  'Devices',
  'Deploy',
  'Diagnostics',
  'Logs',
  'Sync',
  'Settings',
] as const;

mkdirSync(SCREENSHOTS, { recursive: true });

/**
 * The host's link works once, so each group signs in once (trading the token for the session
 * cookie) and opens its pages in that signed-in browser context.
 */
async function signIn(browser: Browser, host: RunningHost): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(host.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await page.close();
  return context;
}

/** Fails the test on any console error (CSP violations included) or uncaught page error. */
function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

test.describe('with an empty data folder', () => {
  let host: RunningHost;
  let context: BrowserContext;
  let page: Page;
  test.beforeAll(async ({ browser }) => {
    host = await startHost();
    context = await signIn(browser, host);
  });
  test.beforeEach(async () => {
    page = await context.newPage();
  });
  test.afterEach(async () => {
    await page.close();
  });
  test.afterAll(async () => {
    await context.close();
    await host.stop();
  });

  test('refuses a visitor without the token, and one with a wrong token, and a second use of the link', async ({
    page: stranger,
  }) => {
    const noToken = await stranger.goto(`${host.origin}/`);
    expect(noToken?.status()).toBe(401);
    await expect(stranger.locator('body')).toContainText('Open Deckhand with the link');
    expect((await stranger.goto(`${host.origin}/?token=guess`))?.status()).toBe(403);
    expect((await stranger.goto(host.url))?.status()).toBe(403);
  });

  test('shows every screen, each with an honest state, and no console errors', async () => {
    const errors = watchForErrors(page);
    await page.goto(`${host.origin}/#/overview`);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    for (const screen of SCREENS) {
      await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: screen }).click();
      await expect(page.getByRole('heading', { level: 1, name: screen })).toBeVisible();
      await expect(page).toHaveURL(new RegExp(`#/${screen.toLowerCase()}$`));
      await page.screenshot({ path: join(SCREENSHOTS, `${screen.toLowerCase()}-light.png`), fullPage: true });
      expect(await undersizedControls(page), `${screen}: controls under 44 px`).toEqual([]);
    }
    await page.getByRole('link', { name: 'Logs' }).click();
    await expect(page.getByTestId('logs-empty')).toContainText('No events yet');
    await expect(page.getByTestId('chain-status')).toContainText('intact');
    expect(errors).toEqual([]);
  });

  test('Settings shows the data folder and switches to the dark theme, which persists', async () => {
    await page.goto(`${host.origin}/#/overview`);
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByText(host.dataDir)).toBeVisible();
    await page.getByRole('radio', { name: 'Dark' }).click();
    await expect(page.locator('.radix-themes').first()).toHaveClass(/dark/);
    await page.reload();
    await expect(page.locator('.radix-themes').first()).toHaveClass(/dark/);
    for (const screen of ['Overview', 'Logs', 'Settings']) {
      await page.getByRole('link', { name: screen }).click();
      await page.screenshot({ path: join(SCREENSHOTS, `${screen.toLowerCase()}-dark.png`), fullPage: true });
    }
  });

  test('is usable from the keyboard alone, with a visible focus ring', async () => {
    await page.goto(`${host.origin}/#/overview`);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    let focusedName = '';
    for (let i = 0; i < 10 && focusedName !== 'Overview'; i += 1) {
      await page.keyboard.press('Tab');
      focusedName = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    expect(focusedName).toBe('Overview');
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineWidth,
    );
    expect(parseFloat(outline)).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();
  });

  test('gives every navigation control a touch target of at least 44 px', async () => {
    await page.goto(`${host.origin}/#/overview`);
    const links = page.getByRole('navigation', { name: 'Screens' }).getByRole('link');
    await expect(links).toHaveCount(SCREENS.length);
    for (const box of await links.evaluateAll((els) => els.map((el) => el.getBoundingClientRect()))) {
      expect(box.height).toBeGreaterThanOrEqual(44);
      expect(box.width).toBeGreaterThanOrEqual(44);
    }
  });
});

test.describe('with a deploy log of 100,000 events', () => {
  let host: RunningHost;
  let context: BrowserContext;
  test.beforeAll(async ({ browser }) => {
    host = await startHost((dataDir) => seedEvents(dataDir, 100_000));
    context = await signIn(browser, host);
  });
  test.afterAll(async () => {
    await context.close();
    await host.stop();
  });

  test('pages the log lazily, filters it, and reports tampering with the first bad seq', async () => {
    const page = await context.newPage();
    const errors = watchForErrors(page);
    await page.goto(`${host.origin}/#/overview`);
    await page.getByRole('link', { name: 'Logs' }).click();
    await expect(page.getByTestId('logs-count')).toContainText('100,000');
    await expect(page.getByTestId('chain-status')).toContainText(/intact.*100,000/);
    await expect(page.getByTestId('logs-row').first()).toHaveAttribute('data-seq', '100000');
    expect(await page.getByTestId('logs-row').count()).toBeLessThan(100);
    await page.screenshot({ path: join(SCREENSHOTS, 'logs-100k.png'), fullPage: true });

    // Jump to the oldest event: only the pages in view are fetched, and seq 1 appears.
    const body = page.getByRole('rowgroup', { name: 'Log events, newest first' });
    await body.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    await expect(page.locator('[data-testid="logs-row"][data-seq="1"]')).toBeVisible();
    expect(await page.getByTestId('logs-row').count()).toBeLessThan(100);

    await page.getByLabel('Kind').selectOption('deploy.committed');
    await expect(page.getByTestId('logs-count')).toContainText('20,000');
    await expect(page.getByTestId('logs-row').first()).toContainText('deploy.committed');

    // Alter one event behind Deckhand's back, as an attacker with the sqlite3 CLI would.
    const db = new Database(join(host.dataDir, DB_FILE_NAME));
    db.exec('DROP TRIGGER events_no_update');
    db.prepare('UPDATE events SET payload = ? WHERE seq = 4242').run('{"note":"nothing to see","step":0}');
    db.close();
    await page.getByRole('button', { name: 'Re-check' }).click();
    await expect(page.getByTestId('chain-status')).toContainText('4242');
    await expect(page.getByTestId('chain-status')).toHaveAttribute('role', 'alert');
    await page.screenshot({ path: join(SCREENSHOTS, 'logs-chain-broken.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});
