import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FuseV1Options, FuseVersion } from '@electron/fuses';
import { describe, expect, it, vi } from 'vitest';

interface AfterPackModule {
  FUSES: Record<string, boolean>;
  afterPack: (context: unknown, loadFuses?: () => Promise<unknown>) => Promise<void>;
  default: unknown;
}
const hook = createRequire(import.meta.url)('../../../../build/after-pack.cjs') as AfterPackModule;

const context = (electronPlatformName: string) => ({
  appOutDir: '/dist/linux-unpacked',
  electronPlatformName,
  packager: { appInfo: { productFilename: 'Deckhand' }, executableName: 'deckhand' },
});

async function flippedWith(platform: string) {
  const flipFuses = vi.fn(async () => 0);
  await hook.afterPack(context(platform), async () => ({ FuseVersion, FuseV1Options, flipFuses }));
  expect(flipFuses).toHaveBeenCalledTimes(1);
  return flipFuses.mock.calls[0] as unknown as [string, Record<string | number, unknown>];
}

describe('build/after-pack.cjs', () => {
  it('is what electron-builder calls (named afterPack export, default too)', () => {
    expect(typeof hook.afterPack).toBe('function');
    expect(hook.default).toBe(hook.afterPack);
  });

  it('flips each fuse to its hardened value', async () => {
    const [, config] = await flippedWith('linux');
    expect(config['version']).toBe(FuseVersion.V1);
    expect(config[FuseV1Options.RunAsNode]).toBe(false);
    expect(config[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(config[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(config[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(config[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(config[FuseV1Options.EnableCookieEncryption]).toBe(true);
  });

  it('targets the packaged executable on each platform', async () => {
    expect((await flippedWith('linux'))[0]).toBe(join('/dist/linux-unpacked', 'deckhand'));
    expect((await flippedWith('win32'))[0]).toBe(join('/dist/linux-unpacked', 'Deckhand.exe'));
    const [macPath, macConfig] = await flippedWith('darwin');
    expect(macPath).toBe(join('/dist/linux-unpacked', 'Deckhand.app'));
    expect(macConfig['resetAdHocDarwinSignature']).toBe(true);
  });

  it('fails loudly on an unknown platform rather than shipping unflipped fuses', async () => {
    await expect(
      hook.afterPack(context('freebsd'), async () => ({ FuseVersion, FuseV1Options, flipFuses: vi.fn() })),
    ).rejects.toThrow(/unsupported platform/);
  });
});
