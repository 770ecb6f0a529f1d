/**
 * Builds the preload exactly as `electron-vite build` does (same config) and runs the output the way
 * a sandboxed renderer would: in a fresh V8 context whose `require` offers only 'electron'.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { loadConfigFromFile, PreloadConfigFactory } from 'electron-vite';
import { build, type InlineConfig } from 'vite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VERB_NAMES, verbChannel } from '../../../main/ipc/contract';

const projectRoot = resolve(import.meta.dirname, '../../..');

describe('the built preload (out/preload/index.cjs)', () => {
  let outDir: string;
  let code: string;
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'deckhand-preload-'));
    const { config } = await loadConfigFromFile(
      { command: 'build', mode: 'production' },
      'electron.vite.config.ts',
      projectRoot,
      'silent',
    );
    const preload = await new PreloadConfigFactory(
      config.preload ?? {},
      { configFile: false, logLevel: 'silent' },
      { root: projectRoot },
    ).build();
    const viteConfig = preload as InlineConfig;
    await build({
      ...viteConfig,
      configFile: false,
      logLevel: 'silent',
      build: { ...viteConfig.build, outDir, emptyOutDir: true, write: true },
    });
    code = readFileSync(join(outDir, 'index.cjs'), 'utf8');
  }, 60_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("is one CommonJS file whose only require is 'electron'", () => {
    const required = [...code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(code).not.toMatch(/\bimport\s*\(|^\s*import\s|^\s*export\s/m);
  });

  it('runs without Node globals and exposes only window.deckhand with the contract surface', async () => {
    const exposed = new Map<string, Record<string, unknown>>();
    const ipcRenderer = {
      invoke: vi.fn(async () => ({ ok: true, value: null })),
      on: vi.fn(),
      removeListener: vi.fn(),
    };
    const sandboxRequire = (id: string) => {
      if (id !== 'electron') throw new Error(`a sandboxed preload cannot require ${id}`);
      return {
        contextBridge: {
          exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api),
        },
        ipcRenderer,
        webUtils: { getPathForFile: () => '/media/x.dhb' },
      };
    };
    const module = { exports: {} };
    // A fresh context: no process, Buffer, __dirname or Node require, like Electron's sandbox.
    const wrapper = runInNewContext(
      `(function (require, module, exports) {\n${code}\n})`,
      {},
      { filename: 'index.cjs' },
    ) as (...args: unknown[]) => void;
    wrapper(sandboxRequire, module, module.exports);

    expect([...exposed.keys()]).toEqual(['deckhand']);
    const api = exposed.get('deckhand') ?? {};
    expect(Object.keys(api).sort()).toEqual([...VERB_NAMES, 'on', 'pathForFile'].sort());
    await (api['app.info'] as (input: unknown) => Promise<unknown>)(undefined);
    expect(ipcRenderer.invoke).toHaveBeenCalledWith(verbChannel('app.info'), undefined);
  });
});
