import { describe, expect, it } from 'vitest';
import { DFU_REQUEST, DFU_STATE, DFU_STATUS } from '../../../../../core/usb/dfu-protocol';
import { DeckhandError } from '../../../../../core/result';
import { DfuDriver } from '../../../../../main/adapters/usb/dfu-driver';
import { DfuDeviceModel, type DfuModelOptions } from '../../../../support/dfu-device-model';

const F4 = '@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg';
const firmware = (n: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);

/** Opens a driver whose sleeps advance the model's clock (and are recorded). */
async function open(options: DfuModelOptions, alternateSetting?: number) {
  const model = new DfuDeviceModel(options);
  const sleeps: number[] = [];
  const driver = await DfuDriver.open(model, {
    alternateSetting,
    sleep: async (ms) => {
      sleeps.push(ms);
      model.advance(ms);
    },
  });
  return { model, driver, sleeps };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DeckhandError ? error.code : String(error);
  }
  return 'resolved';
}

describe('DFU 1.1 driver against the device model', () => {
  it('downloads in wTransferSize blocks, honours bwPollTimeout, and manifests with a reset', async () => {
    const { model, driver, sleeps } = await open({ transferSize: 256, pollTimeoutMs: 7 });
    expect(driver.functional).toMatchObject({
      transferSize: 256,
      manifestationTolerant: false,
      dfuVersion: 0x0110,
    });
    const image = firmware(1000);
    const progress: number[] = [];
    await driver.download(image, (done) => progress.push(done));
    expect(progress).toEqual([256, 512, 768, 1000]);
    expect(model.log.filter((l) => l.startsWith('DNLOAD'))).toEqual([
      'DNLOAD 0 256',
      'DNLOAD 1 256',
      'DNLOAD 2 256',
      'DNLOAD 3 232',
    ]);
    expect(sleeps).toEqual([7, 7, 7, 7]); // one bwPollTimeout per block, as the device asked
    expect(await driver.manifest()).toBe('reset');
    expect(model.rebooted).toBe(true);
    expect(Buffer.from(model.firmware!).equals(Buffer.from(image))).toBe(true);
  });

  it('returns to dfuIDLE on a manifestation-tolerant device', async () => {
    const { model, driver } = await open({ manifestationTolerant: true });
    await driver.download(firmware(3000));
    expect(await driver.manifest()).toBe('idle');
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
    expect(model.firmware?.length).toBe(3000);
  });

  it('the model punishes a host that ignores bwPollTimeout (stall, dfuERROR, errSTALLEDPKT)', async () => {
    const model = new DfuDeviceModel({ pollTimeoutMs: 50 });
    const driver = await DfuDriver.open(model, { sleep: async () => undefined }); // never waits
    expect(await codeOf(driver.download(firmware(2048)))).toBe('device_failed');
    // The driver read the error and cleared it: the device is usable again.
    expect(model.log).toContain('CLRSTATUS');
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
  });

  it('stalls requests that are wrong in the current state, as a real device does', async () => {
    const { model, driver } = await open({});
    const setup = { requestType: 'class', recipient: 'interface', index: 0 } as const;
    // Zero-length DNLOAD in dfuIDLE is not allowed (DFU 1.1 appendix A).
    await expect(
      model.controlTransferOut({ ...setup, request: DFU_REQUEST.DNLOAD, value: 0 }),
    ).rejects.toMatchObject({ failure: 'stall' });
    expect([model.state, model.status]).toEqual([DFU_STATE.dfuERROR, DFU_STATUS.errSTALLEDPKT]);
    // In dfuERROR only GETSTATUS, GETSTATE and CLRSTATUS are accepted.
    await expect(
      model.controlTransferOut({ ...setup, request: DFU_REQUEST.ABORT, value: 0 }),
    ).rejects.toMatchObject({ failure: 'stall' });
    // ensureIdle recovers with CLRSTATUS.
    await driver.ensureIdle();
    expect([model.state, model.status]).toEqual([DFU_STATE.dfuIDLE, DFU_STATUS.OK]);
  });

  it('a write error mid-download is cleared, reported, and a retry succeeds', async () => {
    const { model, driver } = await open({
      transferSize: 128,
      faults: [{ kind: 'status-at-block', block: 3, status: DFU_STATUS.errWRITE }],
    });
    const image = firmware(900);
    const failure = await driver.download(image).catch((error: DeckhandError) => error);
    expect(failure).toMatchObject({ code: 'device_failed', details: { dfuStatus: DFU_STATUS.errWRITE } });
    expect((failure as DeckhandError).message).toContain('errWRITE');
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
    await driver.download(image);
    await driver.manifest();
    expect(Buffer.from(model.firmware!).equals(Buffer.from(image))).toBe(true);
  });

  it('a stalled block is recovered the same way', async () => {
    const { model, driver } = await open({
      transferSize: 128,
      faults: [{ kind: 'stall-at-block', block: 2 }],
    });
    expect(await codeOf(driver.download(firmware(600)))).toBe('device_failed');
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
    await driver.download(firmware(600));
    expect(model.received.length).toBe(600);
  });

  it('aborts a download an earlier session left half done before starting again', async () => {
    const { model, driver } = await open({ transferSize: 128 });
    await model.controlTransferOut(
      { requestType: 'class', recipient: 'interface', index: 0, request: DFU_REQUEST.DNLOAD, value: 0 },
      firmware(128),
    );
    await model.controlTransferIn(
      { requestType: 'class', recipient: 'interface', index: 0, request: DFU_REQUEST.GETSTATUS, value: 0 },
      6,
    );
    model.advance(100);
    await driver.download(firmware(256));
    expect(model.log).toContain('ABORT');
    expect(model.received.length).toBe(256);
  });

  it('stops at a safe point when cancelled, leaving the device idle', async () => {
    const { model, driver } = await open({ transferSize: 128 });
    const controller = new AbortController();
    const failure = await driver
      .download(firmware(1024), (done) => done >= 256 && controller.abort(), controller.signal)
      .catch((error: DeckhandError) => error);
    expect(failure).toMatchObject({ code: 'cancelled' });
    expect(model.log.at(-1)).toBe('ABORT');
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
  });

  it('reports manifestation failures (errFIRMWARE)', async () => {
    const { driver } = await open({ faults: [{ kind: 'manifest-fails' }] });
    await driver.download(firmware(100));
    expect(await codeOf(driver.manifest())).toBe('device_failed');
  });

  it('refuses a device in run-time mode', async () => {
    expect(await codeOf(DfuDriver.open(new DfuDeviceModel({ runtime: true })))).toBe('invalid_state');
  });
});

describe('DfuSe driver against the STM32 model', () => {
  const layouts = [F4, '@Option Bytes  /0x1FFFC000/01*016 e'];

  it('erases the pages it writes, writes at the address and leaves to it', async () => {
    const { model, driver, sleeps } = await open({
      dfuseLayouts: layouts,
      transferSize: 2048,
      pollTimeoutMs: 3,
    });
    expect(driver.isDfuSe).toBe(true);
    expect(driver.memory?.name).toBe('Internal Flash');
    const image = firmware(40_000);
    await driver.dfuseDownload(0x08000000, image);
    // Three 16 KiB pages erased (longer bwPollTimeout), then data blocks from wValue 2.
    expect(model.log.filter((l) => l.startsWith('DNLOAD 0 5'))).toHaveLength(4); // 3 erases + 1 set address
    expect(sleeps.filter((ms) => ms === 12)).toHaveLength(3);
    expect(model.log).toContain('DNLOAD 2 2048');
    expect(Buffer.from(model.read(0x08000000, image.length)).equals(Buffer.from(image))).toBe(true);
    expect(await driver.manifest(0x08000000)).toBe('reset');
    expect(model.leftTo).toBe(0x08000000);
  });

  it('refuses to write where the memory layout has no flash', async () => {
    const { model, driver } = await open({ dfuseLayouts: layouts });
    expect(await codeOf(driver.dfuseDownload(0x080ff000, firmware(0x2000)))).toBe('invalid_input');
    expect(model.log.filter((l) => l.startsWith('DNLOAD'))).toEqual([]);
  });

  it('the device rejects a write to flash that was not erased (errCHECK_ERASED), then recovers', async () => {
    const { model, driver } = await open({ dfuseLayouts: layouts, transferSize: 1024 });
    await driver.dfuseDownload(0x08000000, firmware(1024));
    // Write again without erasing, straight through the model: set address, data block.
    const setup = {
      requestType: 'class',
      recipient: 'interface',
      index: 0,
      request: DFU_REQUEST.DNLOAD,
    } as const;
    await model.controlTransferOut({ ...setup, value: 2 }, firmware(16));
    const status = await driver.getStatus();
    expect([status.state, status.status]).toEqual([DFU_STATE.dfuERROR, DFU_STATUS.errCHECK_ERASED]);
    await driver.ensureIdle();
    expect(model.state).toBe(DFU_STATE.dfuIDLE);
  });

  it('selects the alternate setting and reports an unknown one', async () => {
    const { driver } = await open({ dfuseLayouts: layouts }, 1);
    expect(driver.memory?.name).toBe('Option Bytes');
    expect(await codeOf(open({ dfuseLayouts: layouts }, 5))).toBe('not_found');
  });
});
