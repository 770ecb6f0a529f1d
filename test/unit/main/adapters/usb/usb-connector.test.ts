import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeviceUri, type DeviceUri } from '../../../../../core/device-uri/device-uri';
import { ProgressMeter } from '../../../../../core/progress/progress-meter';
import { appendDfuSuffix, buildDfuSeFile } from '../../../../../core/usb/dfu-file';
import { createUsbConnector } from '../../../../../main/adapters/usb/usb-connector';
import type { UsbTransport } from '../../../../../main/adapters/usb/usb-transport';
import type { DeployTarget } from '../../../../../main/services/deploy/device-session';
import { DfuDeviceModel } from '../../../../support/dfu-device-model';
import { FastbootDeviceModel } from '../../../../support/fastboot-device-model';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-usb-');
const F4 = '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';
const bytes = (n: number, seed = 5): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

function target(data: Uint8Array, method: string, params: Record<string, unknown> = {}): DeployTarget {
  const filePath = join(tempDir(), 'firmware.bin');
  writeFileSync(filePath, data);
  return {
    path: 'releases/fw/1.0.0/firmware.bin',
    kind: 'release',
    name: 'fw',
    version: '1.0.0',
    sha256: createHash('sha256').update(data).digest('hex'),
    length: data.length,
    filePath,
    releaseCounter: 1,
    hardware: ['board'],
    install: { method, params },
    custom: {},
    metadata: {} as DeployTarget['metadata'],
  };
}

function uri(text: string): DeviceUri {
  const parsed = parseDeviceUri(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function connectorFor(model: UsbTransport & { advance?: (ms: number) => void }) {
  return createUsbConnector({
    open: async (query) =>
      query.vendorId === model.facts.vendorId && query.productId === model.facts.productId ? model : null,
    sleep: async (ms) => model.advance?.(ms),
  });
}

const meter = (): { meter: ProgressMeter; bytes: () => number } => {
  const m = new ProgressMeter({ jobId: 'test', totalBytes: null, emit: () => undefined });
  return { meter: m, bytes: () => m.bytes };
};
const signal = new AbortController().signal;

describe('USB connector: DfuSe (STM32)', () => {
  const dfuUri = uri('usb://0483:df11?protocol=dfu');

  it('declares only upload, install and reboot, and flashes a suffixed firmware at the install address', async () => {
    const model = new DfuDeviceModel({ dfuseLayouts: [F4], transferSize: 2048 });
    const session = await connectorFor(model).connect(dfuUri, { pinnedFingerprint: null });
    expect([...session.capabilities].sort()).toEqual(['install', 'reboot', 'upload']);
    expect(await session.snapshot()).toMatchObject({
      hardware: 'usb:0483:df11',
      serialNumber: 'MODEL-0001',
      releases: [],
    });
    const firmware = bytes(20_000);
    const t = target(appendDfuSuffix(firmware, { vendorId: 0x0483, productId: 0xdf11 }), 'dfu', {
      address: '0x08004000',
    });
    const progress = meter();
    await session.upload(t, progress.meter, signal);
    expect(progress.bytes()).toBe(firmware.length);
    expect((await session.install(t, progress.meter, signal)).detail).toContain('Internal Flash');
    expect((await session.reboot(signal)).detail).toContain('0x8004000');
    expect(Buffer.from(model.read(0x08004000, firmware.length)).equals(Buffer.from(firmware))).toBe(true);
    expect(model.leftTo).toBe(0x08004000);
    await expect(session.health(t)).rejects.toMatchObject({ code: 'not_supported' });
  });

  it('writes each element of a DfuSe container at its own address', async () => {
    const model = new DfuDeviceModel({ dfuseLayouts: [F4], transferSize: 1024 });
    const session = await connectorFor(model).connect(dfuUri, { pinnedFingerprint: null });
    const a = bytes(3000, 1);
    const b = bytes(500, 2);
    const file = buildDfuSeFile([
      {
        alternateSetting: 0,
        name: 'fw',
        elements: [
          { address: 0x08000000, data: a },
          { address: 0x08020000, data: b },
        ],
      },
    ]);
    const t = target(
      appendDfuSuffix(file, { vendorId: 0x0483, productId: 0xdf11, dfuVersion: 0x011a }),
      'dfu',
    );
    await session.upload(t, meter().meter, signal);
    expect(Buffer.from(model.read(0x08000000, a.length)).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(model.read(0x08020000, b.length)).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses a file with a bad suffix CRC or for another VID:PID before sending anything', async () => {
    const model = new DfuDeviceModel({ dfuseLayouts: [F4] });
    const session = await connectorFor(model).connect(dfuUri, { pinnedFingerprint: null });
    const damaged = appendDfuSuffix(bytes(4096), { vendorId: 0x0483, productId: 0xdf11 });
    damaged[10]! ^= 0xff;
    await expect(session.upload(target(damaged, 'dfu'), meter().meter, signal)).rejects.toMatchObject({
      code: 'bad_target',
      message: expect.stringContaining('damaged'),
    });
    const foreign = appendDfuSuffix(bytes(4096), { vendorId: 0x1209, productId: 0x0001 });
    await expect(session.upload(target(foreign, 'dfu'), meter().meter, signal)).rejects.toMatchObject({
      code: 'incompatible_hardware',
      message: expect.stringContaining('1209:0001'),
    });
    await expect(session.upload(target(bytes(100), 'dfu'), meter().meter, signal)).rejects.toMatchObject({
      code: 'bad_target',
    });
    expect(model.log.filter((l) => l.startsWith('DNLOAD'))).toEqual([]);
  });

  it('refuses a stored file that does not match the bundle, and a target for another method', async () => {
    const model = new DfuDeviceModel({ dfuseLayouts: [F4] });
    const session = await connectorFor(model).connect(dfuUri, { pinnedFingerprint: null });
    const t = target(appendDfuSuffix(bytes(64), { vendorId: 0x0483, productId: 0xdf11 }), 'dfu');
    await expect(
      session.upload({ ...t, sha256: '0'.repeat(64) }, meter().meter, signal),
    ).rejects.toMatchObject({ code: 'hash_mismatch' });
    await expect(
      session.upload({ ...t, install: { method: 'fastboot', params: {} } }, meter().meter, signal),
    ).rejects.toMatchObject({ code: 'not_supported' });
  });

  it('says the device is not attached', async () => {
    const connector = createUsbConnector({ open: async () => null });
    await expect(connector.connect(dfuUri, { pinnedFingerprint: null })).rejects.toMatchObject({
      code: 'link_lost',
    });
  });
});

describe('USB connector: plain DFU', () => {
  it('downloads, manifests (device resets) and accepts a file without suffix only when allowed', async () => {
    const model = new DfuDeviceModel({ transferSize: 512 });
    const session = await connectorFor(model).connect(uri('usb://1d50:6089?protocol=dfu'), {
      pinnedFingerprint: null,
    });
    const firmware = bytes(5000);
    await expect(session.upload(target(firmware, 'dfu'), meter().meter, signal)).rejects.toMatchObject({
      code: 'bad_target',
    });
    const t = target(firmware, 'dfu', { allowNoSuffix: true });
    await session.upload(t, meter().meter, signal);
    expect((await session.install(t, meter().meter, signal)).detail).toContain('reset');
    expect(Buffer.from(model.firmware!).equals(Buffer.from(firmware))).toBe(true);
    expect(model.rebooted).toBe(true);
  });
});

describe('USB connector: fastboot', () => {
  const fbUri = uri('usb://18d1:4ee0?protocol=fastboot');

  it('flashes the partition named in the install parameters, splitting an oversize image, then reboots', async () => {
    const model = new FastbootDeviceModel({
      maxDownloadSize: 128 * 1024,
      partitions: { system: 1024 * 1024 },
    });
    const session = await connectorFor(model).connect(fbUri, { pinnedFingerprint: null });
    expect((await session.snapshot()).hardware).toBe('deckhand-model');
    const system = bytes(700_000, 9);
    const t = target(system, 'fastboot', { partition: 'system', erase: true });
    const progress = meter();
    await session.upload(t, progress.meter, signal);
    expect(progress.bytes()).toBe(system.length);
    expect((await session.install(t, progress.meter, signal)).detail).toMatch(
      /flashed to system as \d+ sparse images/,
    );
    expect(model.log[1]).toBe('erase:system');
    expect(
      Buffer.from(model.partitions.get('system')!.subarray(0, system.length)).equals(Buffer.from(system)),
    ).toBe(true);
    await session.reboot(signal);
    expect(model.rebooted).toBe('system');
  });

  it('needs a partition, and reports the bootloader FAIL', async () => {
    const model = new FastbootDeviceModel({ failFlash: { partition: 'boot', reason: 'locked' } });
    const session = await connectorFor(model).connect(fbUri, { pinnedFingerprint: null });
    await expect(session.upload(target(bytes(10), 'fastboot'), meter().meter, signal)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(
      session.upload(target(bytes(10), 'fastboot', { partition: 'boot' }), meter().meter, signal),
    ).rejects.toMatchObject({
      code: 'device_failed',
      message: expect.stringContaining('locked'),
    });
  });
});
