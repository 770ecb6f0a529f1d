/**
 * End-to-end tests: Chromium driven by Playwright against the browser host (`deckhand host`), which
 * serves the built renderer and the real backend. Chromium comes from CHROMIUM_PATH, else Debian's
 * /usr/bin/chromium, else Playwright's own download.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

const chromium =
  process.env['CHROMIUM_PATH'] ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results',
  workers: 1,
  timeout: 60_000,
  forbidOnly: process.env['CI'] === 'true',
  use: {
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      ...(chromium ? { executablePath: chromium } : {}),
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
