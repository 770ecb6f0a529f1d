/**
 * USB bootloaders on the Devices screen, end to end. There is no USB bus here, so `deckhand host`
 * runs with DECKHAND_FAKE_USB_BUS pointing at a JSON file that stands in for the bus (the real USB
 * discovery source, device table, devices service and renderer run above it). Plugging a device in
 * is writing it into the file; unplugging is removing it. Screenshot: test/artifacts/screenshots/devices-usb.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startHost, type RunningHost } from './support/deckhand-host';
import { undersizedControls } from './support/ui-checks';

const SCREENSHOTS = join('test', 'artifacts', 'screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const STM32 = {
  vendorId: '0483',
  productId: 'df11',
  serialNumber: '3574364C3034',
  manufacturerName: 'STMicroelectronics',
  productName: 'STM32  BOOTLOADER',
};
const JETSON = { vendorId: '0955', productId: '7023', manufacturerName: 'NVIDIA Corp.', productName: 'APX' };

test.describe('USB devices', () => {
  let host: RunningHost;
  let busDir: string;
  let bus: string;

  test.beforeAll(async () => {
    busDir = mkdtempSync(join(tmpdir(), 'deckhand-e2e-usb-'));
    bus = join(busDir, 'usb-bus.json');
    writeFileSync(bus, JSON.stringify({ devices: [STM32] }));
    host = await startHost(undefined, { DECKHAND_FAKE_USB_BUS: bus });
  });

  test.afterAll(async () => {
    await host.stop();
    rmSync(busDir, { recursive: true, force: true });
  });

  test('lists a DFU bootloader with its ids and protocol, then a Jetson in recovery with advice', async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(host.url);
    // The one-time link redirects once it has set the session cookie; navigate only after that.
    await expect(page.getByRole('navigation', { name: 'Screens' })).toBeVisible();
    await page.goto(`${host.origin}/#/devices`);
    await expect(page.getByRole('heading', { name: 'Devices', level: 1 })).toBeVisible();
    const dfu = page.getByLabel('Device usb://0483:df11/3574364C3034?protocol=dfu');
    await expect(dfu).toContainText('STM32  BOOTLOADER');
    await expect(dfu.getByTestId('device-usb-id')).toHaveText('0483:df11');
    await expect(dfu.getByTestId('device-usb-protocol')).toHaveText('DFU');
    await expect(dfu).toContainText('3574364C3034');
    await expect(dfu.getByTestId('device-state')).toHaveText('Online');

    // Plug in a Jetson in recovery mode, unplug the STM32.
    writeFileSync(bus, JSON.stringify({ devices: [JETSON] }));
    const jetson = page.getByLabel('Device usb://0955:7023');
    await expect(jetson.getByTestId('device-usb-advice')).toContainText("NVIDIA's tools");
    await expect(jetson.getByTestId('device-usb-protocol')).toHaveText('Another tool (see advice)');
    await expect(dfu).toHaveCount(0);

    writeFileSync(bus, JSON.stringify({ devices: [STM32, JETSON] }));
    // Only the USB rows: the machine's own serial ports may show up too.
    await expect(page.locator('[data-testid="device-card"][aria-label^="Device usb://"]')).toHaveCount(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'devices-usb.png'), fullPage: true });
    expect(await undersizedControls(page), 'devices-usb: controls under 44 px').toEqual([]);
    expect(errors).toEqual([]);
  });
});
