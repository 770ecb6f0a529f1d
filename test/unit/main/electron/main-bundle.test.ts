/**
 * Builds the main bundle with the project's electron-vite config and runs it under plain Node with a
 * fake 'electron' and the real backend: proves the ESM output loads, finds out/preload/index.cjs and
 * out/renderer beside it, and wires IPC and the app: protocol end to end.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfigFromFile, MainConfigFactory } from 'electron-vite';
import { build, type InlineConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const projectRoot = resolve(import.meta.dirname, '../../../..');
// Inside the project so the bundle's bare imports (zod, better-sqlite3) resolve from node_modules.
const artifacts = join(projectRoot, 'test', 'artifacts', 'main-bundle');

type Line = { event: string; data: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the child

describe('the built main bundle (out/main/index.js)', () => {
  let lines: Line[];
  let home: string;
  beforeAll(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    const { config } = await loadConfigFromFile(
      { command: 'build', mode: 'production' },
      'electron.vite.config.ts',
      projectRoot,
      'silent',
    );
    const main = (await new MainConfigFactory(
      config.main ?? {},
      { configFile: false, logLevel: 'silent' },
      { root: projectRoot },
    ).build()) as InlineConfig;
    await build({
      ...main,
      configFile: false,
      logLevel: 'silent',
      build: { ...main.build, outDir: join(artifacts, 'out', 'main'), emptyOutDir: true },
    });
    mkdirSync(join(artifacts, 'out', 'preload'), { recursive: true });
    writeFileSync(join(artifacts, 'out', 'preload', 'index.cjs'), '');
    mkdirSync(join(artifacts, 'out', 'renderer'), { recursive: true });
    writeFileSync(join(artifacts, 'out', 'renderer', 'index.html'), '<title>smoke</title>');

    home = mkdtempSync(join(tmpdir(), 'deckhand-main-bundle-'));
    const fixtures = join(import.meta.dirname, 'fixtures');
    const stdout = execFileSync(
      process.execPath,
      [
        '--import',
        join(fixtures, 'register-fake-electron.mjs'),
        join(fixtures, 'drive-main-bundle.mjs'),
        join(artifacts, 'out', 'main', 'index.js'),
      ],
      {
        cwd: projectRoot,
        encoding: 'utf8',
        env: { ...process.env, DECKHAND_SMOKE_HOME: home, DECKHAND_DATA_DIR: '' },
      },
    );
    lines = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Line);
  }, 120_000);
  afterAll(() => {
    rmSync(artifacts, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  const find = (event: string) => lines.find((line) => line.event === event)?.data;

  it('starts without an error dialog and opens the sandboxed window on app://deckhand', () => {
    expect(find('showErrorBox')).toBeUndefined();
    expect(find('registerSchemesAsPrivileged')).toEqual([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(find('window').webPreferences).toMatchObject({
      preload: join(artifacts, 'out', 'preload', 'index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    });
    expect(find('loadURL')).toBe('app://deckhand/index.html');
  });

  it('answers a trusted verb from the real backend and refuses an unknown window', () => {
    expect(find('ipc.trusted')).toMatchObject({
      ok: true,
      value: { name: 'Deckhand', host: 'electron', dataDir: join(home, 'userData') },
    });
    expect(find('ipc.untrusted')).toMatchObject({ ok: false, error: { code: 'untrusted_sender' } });
  });

  it('serves out/renderer on app://deckhand with the CSP, and quits cleanly', () => {
    expect(find('protocol')).toMatchObject({ status: 200, body: '<title>smoke</title>' });
    expect(find('protocol').csp).toContain("default-src 'self'");
    expect(lines.some((line) => line.event === 'quit.done')).toBe(true);
  });
});
