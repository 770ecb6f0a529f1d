/**
 * UsbTransport over the `usb` package (node-usb 3, WebUSB-shaped UsbDevice with native transfers).
 * The only code that touches `usb` for transfers. Deliberately thin (translation of calls and
 * failures, nothing else): there is no USB bus on the build machines, so this file is exercised on
 * real boards only (docs/hardware-testing.md); everything above it is tested against device models.
 */
import { existsSync } from 'node:fs';
import {
  getDescriptorSetup,
  UsbTransferError,
  type UsbOpener,
  type UsbSetup,
  type UsbTransport,
} from './usb-transport';

const DEFAULT_TIMEOUT_MS = 5_000;

/** The subset of node-usb's UsbDevice used here. */
export interface NativeDevice {
  vendorId: number;
  productId: number;
  readonly serialNumber: string | null;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  open(): Promise<void>;
  close(): Promise<void>;
  reset(): Promise<void>;
  claimInterface(n: number): Promise<void>;
  selectAlternateInterface(n: number, alt: number): Promise<void>;
  detachKernelDriver(n: number): Promise<void>;
  nativeControlTransferIn(setup: UsbSetup, timeout: number, length: number): Promise<Uint8Array | null>;
  nativeControlTransferOut(setup: UsbSetup, timeout: number, data?: Uint8Array | null): Promise<number>;
  nativeTransferIn(endpoint: number, timeout: number, length: number): Promise<Uint8Array | null>;
  nativeTransferOut(endpoint: number, timeout: number, data: Uint8Array): Promise<number>;
}

function translate(error: unknown): UsbTransferError {
  if (error instanceof UsbTransferError) return error;
  const text = String((error as Error)?.message ?? error).toLowerCase();
  if (text.includes('stall') || text.includes('pipe'))
    return new UsbTransferError('stall', 'The device refused the request.');
  if (text.includes('timeout') || text.includes('timed out'))
    return new UsbTransferError('timeout', 'The device did not answer in time.');
  if (/no[ _]device|disconnect|not found/.test(text))
    return new UsbTransferError('disconnected', 'The device was unplugged or reset.');
  return new UsbTransferError('io', `USB transfer failed: ${text}`);
}

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translate(error);
  }
}

/** Wraps an opened node-usb device (exported for a test with a stand-in device). */
export function wrapNativeDevice(device: NativeDevice): UsbTransport {
  const controlIn = (setup: UsbSetup, length: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Uint8Array> =>
    guard(async () => {
      const data = await device.nativeControlTransferIn(setup, timeoutMs, length);
      if (data === null) throw new UsbTransferError('stall', 'The device refused the request.');
      return data;
    });
  return {
    facts: {
      vendorId: device.vendorId,
      productId: device.productId,
      serialNumber: device.serialNumber,
      manufacturerName: device.manufacturerName,
      productName: device.productName,
    },
    controlTransferIn: controlIn,
    controlTransferOut: (setup, data, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      guard(async () => {
        const written = await device.nativeControlTransferOut(setup, timeoutMs, data ?? new Uint8Array(0));
        if (written < 0) throw new UsbTransferError('stall', 'The device refused the request.');
        return written;
      }),
    bulkIn: (endpoint, length, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      guard(async () => {
        const data = await device.nativeTransferIn(endpoint, timeoutMs, length);
        if (data === null) throw new UsbTransferError('stall', 'The device refused the transfer.');
        return data;
      }),
    bulkOut: (endpoint, data, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      guard(async () => {
        const written = await device.nativeTransferOut(endpoint, timeoutMs, data);
        if (written < 0) throw new UsbTransferError('stall', 'The device refused the transfer.');
        return written;
      }),
    claimInterface: (n) =>
      guard(async () => {
        // Linux binds no driver to DFU or fastboot interfaces, but a board's gadget may have one (cdc_acm).
        if (process.platform === 'linux') await device.detachKernelDriver(n).catch(() => undefined);
        await device.claimInterface(n);
      }),
    selectAlternateInterface: (n, alt) => guard(() => device.selectAlternateInterface(n, alt)),
    configurationDescriptor: async () => {
      const head = await controlIn(getDescriptorSetup(2, 0), 9);
      const total = (head[2] ?? 0) | ((head[3] ?? 0) << 8);
      return controlIn(getDescriptorSetup(2, 0), Math.max(9, total));
    },
    stringDescriptor: async (index) => {
      if (index === 0) return '';
      const bytes = await controlIn(getDescriptorSetup(3, index, 0x0409), 255);
      let text = '';
      for (let i = 2; i + 1 < Math.min(bytes[0] ?? 0, bytes.length); i += 2)
        text += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
      return text;
    },
    reset: () => guard(() => device.reset()),
    close: () => guard(() => device.close()).catch(() => undefined),
  };
}

/** Opens a device on this machine's bus through `usb`; null when it is not attached. */
export const openNodeUsbDevice: UsbOpener = async (query) => {
  if (process.platform === 'linux' && !existsSync('/sys/bus/usb/devices')) return null; // see usb-source.ts
  const usb = (await import('usb')) as unknown as {
    nativeGetDevices?: () => Promise<NativeDevice[]>;
    WebUSB: new (options: { allowAllDevices: boolean }) => { getDevices(): Promise<NativeDevice[]> };
  };
  const devices = await new usb.WebUSB({ allowAllDevices: true }).getDevices();
  const device = devices.find(
    (d) =>
      d.vendorId === query.vendorId &&
      d.productId === query.productId &&
      (query.serial === null || d.serialNumber === query.serial),
  );
  if (!device) return null;
  await guard(() => device.open());
  return wrapNativeDevice(device);
};
