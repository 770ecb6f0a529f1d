/**
 * USB bootloaders in the device list: the real USB discovery source over the fake bus file (as the
 * e2e test and `DECKHAND_FAKE_USB_BUS` use it), the shipped device table, and the devices service.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeUsbHost } from '../../../../../main/adapters/discovery/fake-usb-bus';
import { createUsbSource } from '../../../../../main/adapters/discovery/usb-source';
import { openBackend } from '../../../../../main/services/backend';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-usb-devices-');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const stm32 = {
  vendorId: '0483',
  productId: 'df11',
  serialNumber: '3574364C3034',
  manufacturerName: 'STMicroelectronics',
  productName: 'STM32 BOOTLOADER',
};
const jetson = { vendorId: '0955', productId: '7023', manufacturerName: 'NVIDIA Corp.', productName: 'APX' };
const mouse = { vendorId: '046d', productId: 'c52b', productName: 'USB Receiver' };

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i += 1) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('USB devices in the device list', () => {
  it('lists known bootloaders with their protocol and advice, follows attach and detach, ignores other USB devices', async () => {
    const dir = tempDir();
    const bus = join(dir, 'usb-bus.json');
    writeFileSync(bus, JSON.stringify({ devices: [stm32, mouse] }));
    const backend = openBackend({
      dataDir: join(dir, 'data'),
      host: 'cli',
      version: '0.0.0-test',
      discoverySources: [createUsbSource({ host: async () => createFakeUsbHost(bus, 50) })],
    });
    cleanups.push(() => backend.close());
    const events: string[] = [];
    cleanups.push(
      backend.events.subscribe((name, payload) =>
        events.push(`${name} ${(payload as { uri?: string }).uri ?? ''}`),
      ),
    );
    cleanups.push(backend.devices.watch(60_000));

    const dfuUri = 'usb://0483:df11/3574364C3034?protocol=dfu';
    const row = await until(
      () => backend.devices.list().devices.find((d) => d.uri === dfuUri),
      'the STM32 row',
    );
    expect(row).toMatchObject({
      link: 'usb',
      source: 'usb',
      state: 'online',
      label: 'STMicroelectronics STM32 BOOTLOADER (0483:df11)',
      usb: {
        vendorId: '0483',
        productId: 'df11',
        serialNumber: '3574364C3034',
        protocol: 'dfu',
        name: 'STM32 system bootloader (DfuSe)',
      },
    });
    expect(backend.devices.list().devices.map((d) => d.uri)).toEqual([dfuUri]); // no mouse

    writeFileSync(bus, JSON.stringify({ devices: [jetson] }));
    const recovery = await until(
      () => backend.devices.list().devices.find((d) => d.uri === 'usb://0955:7023'),
      'the Jetson row',
    );
    expect(recovery.usb).toMatchObject({ protocol: null, advice: expect.stringContaining("NVIDIA's tools") });
    await until(
      () => (backend.devices.list().devices.some((d) => d.uri === dfuUri) ? undefined : true),
      'the STM32 detach',
    );
    expect(events).toContain(`device.attached ${dfuUri}`);
    expect(events).toContain(`device.detached ${dfuUri}`);
  });
});
