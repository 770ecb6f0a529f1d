/**
 * The deploy engine flashes USB bootloaders through the USB connector: a signed bundle with a DfuSe
 * firmware (install: dfu, address) and a fastboot system image larger than the bootloader's
 * max-download-size (install: fastboot, partition) is imported, and `deploy.start` runs against the
 * device models as it would against real boards. The flashed bytes are read back from the models.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { targetCustomSchema } from '../../../../../core/bundle/target-info';
import { appendDfuSuffix } from '../../../../../core/usb/dfu-file';
import { createUsbConnector } from '../../../../../main/adapters/usb/usb-connector';
import type { UsbTransport } from '../../../../../main/adapters/usb/usb-transport';
import type { DeployRunView, DeployableTarget } from '../../../../../main/ipc/deploy-types';
import { openBackend, type Backend } from '../../../../../main/services/backend';
import { createBundle } from '../../../../../main/services/bundles/bundle-writer';
import { initKeyRing } from '../../../../../main/services/bundles/key-ring';
import { DfuDeviceModel } from '../../../../support/dfu-device-model';
import { FastbootDeviceModel } from '../../../../support/fastboot-device-model';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-usb-deploy-');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const F4 = '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';

async function until<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('timed out');
}

describe('deploying to USB bootloaders', () => {
  it('flashes a DfuSe firmware and a split fastboot image through deploy.start', async () => {
    const dir = tempDir();
    const now = new Date();
    const ring = initKeyRing(join(dir, 'keys'), { rootExpires: new Date(now.getTime() + 86_400_000) });
    const firmware = randomBytes(48 * 1024);
    const system = randomBytes(600 * 1024);
    writeFileSync(join(dir, 'fw.dfu'), appendDfuSuffix(firmware, { vendorId: 0x0483, productId: 0xdf11 }));
    writeFileSync(join(dir, 'system.img'), system);
    const custom = (name: string, hardware: string, install: object) =>
      targetCustomSchema.parse({
        kind: 'release',
        name,
        version: '1.0.0',
        releaseCounter: 1,
        hardware: [hardware],
        install,
      });
    const bundleFile = join(dir, 'site.dhb');
    await createBundle({
      ring,
      out: bundleFile,
      expires: new Date(now.getTime() + 86_400_000),
      now,
      targets: [
        {
          file: join(dir, 'fw.dfu'),
          custom: custom('sensor-fw', 'usb:0483:df11', { method: 'dfu', params: { address: '0x08000000' } }),
        },
        {
          file: join(dir, 'system.img'),
          custom: custom('board-os', 'deckhand-model', {
            method: 'fastboot',
            params: { partition: 'system' },
          }),
        },
      ],
    });

    const stm32 = new DfuDeviceModel({ dfuseLayouts: [F4], transferSize: 2048 });
    const board = new FastbootDeviceModel({
      maxDownloadSize: 256 * 1024,
      partitions: { system: 1024 * 1024 },
    });
    const models: UsbTransport[] = [stm32, board];
    const backend: Backend = openBackend({
      dataDir: join(dir, 'laptop'),
      host: 'cli',
      version: '0.0.0-test',
      deviceConnectors: [
        createUsbConnector({
          open: async (q) =>
            models.find((m) => m.facts.vendorId === q.vendorId && m.facts.productId === q.productId) ?? null,
          sleep: async (ms) => stm32.advance(ms),
        }),
      ],
    });
    cleanups.push(() => backend.close());
    backend.bundles.pin(join(ring.dir, 'root.json'));
    await backend.bundles.import({ path: bundleFile, jobId: randomUUID() });
    const { targets } = (await backend.handlers['deploy.targets'](undefined)) as {
      readonly targets: readonly DeployableTarget[];
    };
    const deploy = async (name: string, device: string): Promise<DeployRunView> => {
      const target = targets.find((t) => t.name === name)!;
      const started = (await backend.handlers['deploy.start']({
        target: { importId: target.importId, path: target.path },
        devices: [device],
      })) as DeployRunView;
      return until(async () => {
        const { runs } = (await backend.handlers['deploy.runs'](undefined)) as { runs: DeployRunView[] };
        const run = runs.find((r) => r.id === started.id);
        return run?.status === 'finished' ? run : undefined;
      });
    };

    const dfuRun = await deploy('sensor-fw', 'usb://0483:df11?protocol=dfu');
    expect(dfuRun.devices[0]).toMatchObject({ outcome: 'committed' });
    expect(Buffer.from(stm32.read(0x08000000, firmware.length)).equals(firmware)).toBe(true);
    expect(stm32.leftTo).toBe(0x08000000);

    const fbRun = await deploy('board-os', 'usb://18d1:4ee0?protocol=fastboot');
    expect(fbRun.devices[0]).toMatchObject({ outcome: 'committed' });
    expect(board.sparseFlashes.get('system')).toBeGreaterThan(2);
    expect(Buffer.from(board.partitions.get('system')!.subarray(0, system.length)).equals(system)).toBe(true);
    expect(board.rebooted).toBe('system');
  });
});
