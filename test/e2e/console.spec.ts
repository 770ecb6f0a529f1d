/**
 * The serial console end to end: a socat pty pair stands in for a device's serial line; the test
 * writes boot lines to one end and the Devices screen's console, opened on the other end in the real
 * browser host, shows them. Interactive sends what the technician types to the device. Screenshot:
 * test/artifacts/screenshots/devices-console.png.
 */
import { writeFileSync, constants, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openPtyPair, type PtyPair } from '../support/noisy-bridge';
import { startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

test.describe('Serial console', () => {
  let host: RunningHost;
  let pair: PtyPair;

  test.beforeAll(async () => {
    pair = await openPtyPair();
    host = await startHost();
  });

  test.afterAll(async () => {
    await host?.stop();
    pair?.close();
  });

  test('shows boot output from a pty-backed device, read-only until Interactive is on', async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // The printed link carries the one-time token that sets the session cookie.
    await page.goto(host.url);
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await page.getByRole('navigation').getByRole('link', { name: 'Devices' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Devices' })).toBeVisible();

    await page.getByRole('combobox', { name: 'Serial port' }).fill(pair.b);
    await page.getByRole('button', { name: 'Open console' }).click();
    await expect(page.getByTestId('console-mode')).toHaveText('Read-only');

    writeFileSync(
      pair.a,
      'U-Boot 2024.01 (Jan 01 2024)\nStarting kernel ...\n[    0.000000] Linux version 6.1.0\nedge-os login: ',
    );
    const terminal = page.getByTestId('console-terminal');
    await expect(terminal).toContainText('Starting kernel ...');
    await expect(terminal).toContainText('edge-os login:');

    const interactive = page.getByRole('button', { name: 'Interactive' });
    await expect(interactive).toHaveAttribute('aria-pressed', 'false');
    await interactive.click();
    await expect(interactive).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByTestId('console-mode')).toContainText('Interactive');

    const deviceEnd = await open(pair.a, constants.O_RDONLY | constants.O_NOCTTY);
    try {
      await terminal.click();
      await page.keyboard.type('root');
      await page.keyboard.press('Enter');
      let typed = '';
      const buffer = Buffer.alloc(64);
      while (!typed.includes('\r')) {
        const { bytesRead } = await deviceEnd.read(buffer, 0, buffer.length, null);
        typed += buffer.subarray(0, bytesRead).toString();
      }
      expect(typed).toBe('root\r');
    } finally {
      await deviceEnd.close();
    }

    await page.screenshot({ path: join(SCREENSHOTS, 'devices-console.png'), fullPage: true });
    expect(await undersizedControls(page), 'devices-console: controls under 44 px').toEqual([]);

    await page.getByRole('button', { name: 'Close console' }).click();
    await expect(terminal).toHaveCount(0);
    await page.getByRole('navigation').getByRole('link', { name: 'Logs' }).click();
    // What the device printed is in the deploy log (the kind filter lists it too, hidden in its menu).
    await expect(
      page.getByText('console.output', { exact: true }).filter({ visible: true }).first(),
    ).toBeVisible();
    expect(errors).toEqual([]);
  });
});
