/**
 * The Bundles screen end to end: Chromium against the real `deckhand host` with a pinned root. A
 * valid bundle imported by its path shows its contents and expiry; an expired one shows its reason
 * in plain words; a bundle on a (simulated) USB drive is offered and imported with one click.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type BrowserContext } from '@playwright/test';
import { TrustStore } from '../../main/services/bundles/trust-store';
import { BundleLab, bundleEntries, sampleTargets, writeTar } from '../support/bundle-lab';
import { startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
const DAY = 86_400_000;

test.describe('the Bundles screen', () => {
  let host: RunningHost;
  let context: BrowserContext;
  let work: string;
  let valid: string;
  let expired: string;
  const lab = new BundleLab();

  test.beforeAll(async ({ browser }) => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-e2e-bundles-'));
    const targets = sampleTargets('e2e');
    valid = await writeTar(
      join(work, 'site-42.dhb'),
      bundleEntries(lab.metadata({ version: 100, targets }), targets),
    );
    expired = await writeTar(
      join(work, 'old-site.dhb'),
      bundleEntries(
        lab.metadata({ version: 150, targets, expires: new Date(Date.now() - 3 * DAY) }),
        targets,
      ),
    );
    const stick = join(work, 'media', 'STICK');
    mkdirSync(stick, { recursive: true });
    const newer = sampleTargets('usb');
    await writeTar(
      join(stick, 'site-43.dhb'),
      bundleEntries(lab.metadata({ version: 200, targets: newer }), newer),
    );
    process.env['DECKHAND_DRIVE_ROOTS'] = join(work, 'media');
    host = await startHost((dataDir) => {
      new TrustStore(join(dataDir, 'trust')).pin(lab.rootBytes(), new Date());
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(host.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await page.close();
  });

  test.afterAll(async () => {
    await context?.close();
    await host?.stop();
    delete process.env['DECKHAND_DRIVE_ROOTS'];
    rmSync(work, { recursive: true, force: true });
  });

  test('imports by path, shows contents and expiry, shows a refusal reason, and offers a USB bundle', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${host.origin}/#/bundles`);
    await expect(page.getByRole('heading', { level: 1, name: 'Bundles' })).toBeVisible();
    await expect(page.getByTestId('trust-status')).toContainText('version 1');
    await expect(page.getByTestId('bundles-empty')).toBeVisible();

    await page.getByLabel('Bundle file (.dhb) or folder').fill(valid);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByTestId('import-outcome')).toContainText('Imported site-42.dhb');
    const card = page.getByTestId('bundle-card').first();
    await expect(card).toHaveAttribute('data-status', 'imported');
    await expect(card.getByTestId('bundle-target')).toHaveCount(2);
    await expect(card.getByRole('table')).toContainText('edge-app');
    await expect(card.getByRole('table')).toContainText('detector');
    await expect(card.getByTestId('bundle-expiry')).toContainText(/expires in (29|30) days/);
    await page.screenshot({ path: join(SCREENSHOTS, 'bundles-imported.png'), fullPage: true });
    expect(await undersizedControls(page), 'bundles-imported: controls under 44 px').toEqual([]);

    await page.getByLabel('Bundle file (.dhb) or folder').fill(expired);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect(page.getByTestId('import-outcome')).toContainText(
      /This bundle expired on .* — ask HQ for a fresh one/,
    );
    const refused = page.getByTestId('bundle-card').first();
    await expect(refused).toHaveAttribute('data-status', 'refused');
    await expect(refused.getByTestId('bundle-refusal')).toContainText('expired');
    await page.screenshot({ path: join(SCREENSHOTS, 'bundles-refused.png'), fullPage: true });
    expect(await undersizedControls(page), 'bundles-refused: controls under 44 px').toEqual([]);

    await expect(page.getByTestId('bundle-offer')).toContainText('Found site-43.dhb');
    await page.getByRole('button', { name: 'Import site-43.dhb' }).click();
    await expect(page.getByTestId('import-outcome')).toContainText('Imported site-43.dhb');
    await expect(page.getByTestId('bundle-card')).toHaveCount(3);
    await page.screenshot({ path: join(SCREENSHOTS, 'bundles-usb-offer.png'), fullPage: true });
    expect(await undersizedControls(page), 'bundles-usb-offer: controls under 44 px').toEqual([]);

    await page.getByRole('link', { name: 'Logs' }).click();
    await expect(page.getByTestId('logs-count')).toContainText('3 events');
    expect(errors).toEqual([]);
    await page.close();
  });
});
