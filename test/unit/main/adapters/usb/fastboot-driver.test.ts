import { describe, expect, it } from 'vitest';
import type { DeckhandError } from '../../../../../core/result';
import { FastbootDriver } from '../../../../../main/adapters/usb/fastboot-driver';
import { seededRandom } from '../../../../support/seeded-random';
import { FastbootDeviceModel, type FastbootModelOptions } from '../../../../support/fastboot-device-model';

function image(length: number, seed = 1): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

async function open(options: FastbootModelOptions = {}) {
  const model = new FastbootDeviceModel(options);
  const messages: string[] = [];
  const driver = await FastbootDriver.open(model, {
    onMessage: (line) => messages.push(line),
    chunkBytes: 16 * 1024,
  });
  return { model, driver, messages };
}

describe('fastboot driver against the bootloader model', () => {
  it('reads variables, including max-download-size', async () => {
    const { driver } = await open({ maxDownloadSize: 0x40000 });
    expect(await driver.maxDownloadSize()).toBe(0x40000);
    expect(await driver.getvar('product')).toBe('deckhand-model');
    await expect(driver.getvar('nonsense')).rejects.toMatchObject({
      code: 'device_failed',
      message: expect.stringContaining('Variable Not found'),
    });
  });

  it('flashes an image that fits in one download, passing INFO and TEXT lines on', async () => {
    const { model, driver, messages } = await open({ text: true });
    const boot = image(100_000);
    const progress: number[] = [];
    expect(await driver.flash('boot', boot, (done) => progress.push(done))).toBe(1);
    expect(model.log.filter((l) => !l.startsWith('<'))).toEqual([
      'getvar:max-download-size',
      'download:000186a0',
      'flash:boot',
    ]);
    expect(
      Buffer.from(model.partitions.get('boot')!.subarray(0, boot.length)).equals(Buffer.from(boot)),
    ).toBe(true);
    expect(progress.at(-1)).toBe(boot.length);
    expect(messages).toEqual(["writing 'boot'...", "writing 'boot'..."]); // once as INFO, once as TEXT
  });

  it('splits an image larger than max-download-size into sparse images that reassemble byte-identically', async () => {
    const { model, driver } = await open({
      maxDownloadSize: 256 * 1024,
      partitions: { system: 2 * 1024 * 1024 },
    });
    const system = image(1_500_000 + 77, 3);
    system.fill(0, 200_000, 600_000); // zero blocks travel as FILL chunks
    const pieces = await driver.flash('system', system);
    expect(pieces).toBeGreaterThan(3);
    expect(model.sparseFlashes.get('system')).toBe(pieces);
    const downloads = model.log
      .filter((l) => l.startsWith('download:'))
      .map((l) => Number.parseInt(l.slice(9), 16));
    expect(downloads.every((size) => size <= 256 * 1024)).toBe(true);
    const written = model.partitions.get('system')!;
    expect(Buffer.from(written.subarray(0, system.length)).equals(Buffer.from(system))).toBe(true);
  });

  it('reports FAIL replies with the bootloader reason', async () => {
    const { driver, model } = await open({ failFlash: { partition: 'boot', reason: 'flash write failure' } });
    const failure = await driver.flash('boot', image(1000)).catch((error: DeckhandError) => error);
    expect(failure).toMatchObject({ code: 'device_failed', details: { reason: 'flash write failure' } });
    // A retry works: the bootloader keeps going after a FAIL.
    await driver.flash('boot', image(1000));
    expect(model.partitions.get('boot')![0]).toBe(image(1000)[0]);
    await expect(driver.flash('nope', image(10))).rejects.toMatchObject({
      code: 'device_failed',
      message: expect.stringContaining("'nope' does not exist"),
    });
    await expect(driver.flash('bad name!', image(10))).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('the model refuses what a bootloader refuses: flash before download, oversize download, unknown command', async () => {
    const { driver } = await open({ maxDownloadSize: 4096 });
    await expect(driver.command('flash:boot')).rejects.toMatchObject({
      message: expect.stringContaining('no image downloaded'),
    });
    await expect(driver.command('download:00002000')).rejects.toMatchObject({
      message: expect.stringContaining('data too large'),
    });
    await expect(driver.command('oem unlock-everything')).rejects.toMatchObject({
      message: expect.stringContaining('unknown command'),
    });
  });

  it('erases and reboots', async () => {
    const { model, driver } = await open();
    model.partitions.get('boot')!.fill(9);
    await driver.erase('boot');
    expect(model.partitions.get('boot')!.every((b) => b === 0)).toBe(true);
    await driver.reboot();
    expect(model.rebooted).toBe('system');
    // The board is gone from the bus after rebooting.
    await expect(driver.getvar('product')).rejects.toMatchObject({ code: 'link_lost' });
  });
});
