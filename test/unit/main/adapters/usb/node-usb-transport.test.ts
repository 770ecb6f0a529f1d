/**
 * The node-usb wrapper's translation only (there is no USB bus here): null and negative results
 * become stalls, libusb error texts become the right failure, descriptors are read in two steps.
 */
import { describe, expect, it } from 'vitest';
import { wrapNativeDevice, type NativeDevice } from '../../../../../main/adapters/usb/node-usb-transport';

function device(patch: Partial<NativeDevice>): NativeDevice {
  const fail = async (): Promise<never> => {
    throw new Error('not used');
  };
  return {
    vendorId: 0x0483,
    productId: 0xdf11,
    serialNumber: 'SN',
    manufacturerName: 'ST',
    productName: 'STM32 BOOTLOADER',
    open: fail,
    close: async () => undefined,
    reset: fail,
    claimInterface: async () => undefined,
    selectAlternateInterface: fail,
    detachKernelDriver: async () => undefined,
    nativeControlTransferIn: fail,
    nativeControlTransferOut: fail,
    nativeTransferIn: fail,
    nativeTransferOut: fail,
    ...patch,
  };
}

const setup = { requestType: 'class', recipient: 'interface', request: 3, value: 0, index: 0 } as const;

describe('node-usb transport wrapper', () => {
  it('turns a null IN and a negative OUT into stalls, and libusb errors into failures', async () => {
    const usb = wrapNativeDevice(
      device({
        nativeControlTransferIn: async () => null,
        nativeControlTransferOut: async () => -1,
        nativeTransferIn: async () => {
          throw new Error('LIBUSB_ERROR_TIMEOUT');
        },
        nativeTransferOut: async () => {
          throw new Error('LIBUSB_ERROR_NO_DEVICE');
        },
      }),
    );
    await expect(usb.controlTransferIn(setup, 6)).rejects.toMatchObject({ failure: 'stall' });
    await expect(usb.controlTransferOut(setup)).rejects.toMatchObject({ failure: 'stall' });
    await expect(usb.bulkIn(1, 64)).rejects.toMatchObject({ failure: 'timeout' });
    await expect(usb.bulkOut(1, new Uint8Array(1))).rejects.toMatchObject({ failure: 'disconnected' });
    expect(usb.facts).toMatchObject({ vendorId: 0x0483, serialNumber: 'SN' });
  });

  it('reads the whole configuration descriptor after its 9-byte header, and string descriptors', async () => {
    const config = Uint8Array.from({ length: 27 }, (_, i) => (i === 0 ? 9 : i === 1 ? 2 : i === 2 ? 27 : 0));
    const lengths: number[] = [];
    const usb = wrapNativeDevice(
      device({
        nativeControlTransferIn: async (s, _timeout, length) => {
          lengths.push(length);
          if (s.value >> 8 === 3) return Uint8Array.of(8, 3, 0x44, 0, 0x46, 0, 0x55, 0);
          return config.subarray(0, length);
        },
      }),
    );
    expect((await usb.configurationDescriptor()).length).toBe(27);
    expect(lengths).toEqual([9, 27]);
    expect(await usb.stringDescriptor(4)).toBe('DFU');
    expect(await usb.stringDescriptor(0)).toBe('');
  });
});
