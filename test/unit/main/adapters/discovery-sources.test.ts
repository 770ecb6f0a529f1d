import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { advertRecords, readResponse } from '../../../../core/discovery/mdns-service';
import {
  createSerialPortsSource,
  type SerialPortInfo,
} from '../../../../main/adapters/discovery/serial-ports-source';
import {
  createUsbSource,
  usbUri,
  type UsbDeviceInfo,
  type UsbHost,
} from '../../../../main/adapters/discovery/usb-source';
import { parseScanTimeout, scanDevices } from '../../../../main/cli/commands/devices-scan';
import { PacedDirection } from '../../../../main/cli/benches/paced-line';
import type { DiscoveryEvent } from '../../../../main/services/devices/discovery-source';

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('mDNS records', () => {
  const advert = {
    instance: 'deckhand-SN-1',
    host: 'deckhand-SN-1-box',
    port: 7878,
    addresses: ['10.77.0.1'],
    txt: { hw: 'jetson-orin', sn: 'SN-1', ver: '0.1.0' },
  };

  it('reads back what the agent advertises, as a tcp:// candidate with its TXT', () => {
    const { found, gone } = readResponse(advertRecords(advert));
    expect(gone).toEqual([]);
    expect(found).toEqual([
      expect.objectContaining({
        instance: 'deckhand-SN-1',
        uri: 'tcp://10.77.0.1:7878',
        txt: { hw: 'jetson-orin', sn: 'SN-1', ver: '0.1.0' },
      }),
    ]);
  });

  it('reads TXT given as buffers (as dns-packet decodes it) and goodbyes as gone', () => {
    const records = advertRecords(advert).map((r) =>
      r.type === 'TXT' ? { ...r, data: [Buffer.from('sn=SN-1'), Buffer.from('hw=x')] } : r,
    );
    expect(readResponse(records).found[0]?.txt).toEqual({ sn: 'SN-1', hw: 'x' });
    const bye = readResponse(advertRecords(advert, 0));
    expect(bye.found).toEqual([]);
    expect(bye.gone).toEqual(['deckhand-SN-1._deckhand._tcp.local']);
  });

  it('ignores other services and instances without an address', () => {
    const records = advertRecords(advert).filter((r) => r.type !== 'A');
    expect(readResponse(records).found).toEqual([]);
    expect(
      readResponse([{ name: '_http._tcp.local', type: 'PTR', data: 'x._http._tcp.local' }]).found,
    ).toEqual([]);
  });
});

describe('serial port discovery', () => {
  it('reports ports that appear and disappear between polls', async () => {
    let ports: SerialPortInfo[] = [
      {
        path: '/dev/ttyUSB0',
        vendorId: '0403',
        productId: '6001',
        manufacturer: 'FTDI',
        serialNumber: 'A1',
      },
    ];
    const events: DiscoveryEvent[] = [];
    const stop = createSerialPortsSource({ list: async () => ports, pollMs: 20 }).start((e) =>
      events.push(e),
    );
    await tick(10);
    ports = [{ path: '/dev/ttyACM0' }];
    await tick(60);
    stop();
    expect(events).toEqual([
      {
        type: 'found',
        uri: 'serial:///dev/ttyUSB0',
        transport: 'serial',
        label: '/dev/ttyUSB0 (FTDI 0403:6001)',
        details: {
          path: '/dev/ttyUSB0',
          manufacturer: 'FTDI',
          serialNumber: 'A1',
          vendorId: '0403',
          productId: '6001',
        },
      },
      expect.objectContaining({ type: 'found', uri: 'serial:///dev/ttyACM0' }),
      { type: 'lost', uri: 'serial:///dev/ttyUSB0' },
    ]);
  });

  it('lists the real ports of this machine without throwing', async () => {
    const found = await createSerialPortsSource().scan(100);
    for (const c of found) expect(c.uri).toMatch(/^serial:\/\//);
  });
});

/** A WebUSB host double: EventTarget-like listeners and a device list, as node-usb's WebUSB has. */
class FakeUsbHost implements UsbHost {
  readonly #events = new EventEmitter();
  devices: UsbDeviceInfo[] = [];
  addEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: { device: UsbDeviceInfo }) => void,
  ): void {
    this.#events.on(type, listener);
  }
  removeEventListener(
    type: 'connect' | 'disconnect',
    listener: (event: { device: UsbDeviceInfo }) => void,
  ): void {
    this.#events.off(type, listener);
  }
  async getDevices(): Promise<readonly UsbDeviceInfo[]> {
    return this.devices;
  }
  attach(device: UsbDeviceInfo): void {
    this.devices.push(device);
    this.#events.emit('connect', { device });
  }
  detach(device: UsbDeviceInfo): void {
    this.devices = this.devices.filter((d) => d !== device);
    this.#events.emit('disconnect', { device });
  }
  listeners(): number {
    return this.#events.listenerCount('connect') + this.#events.listenerCount('disconnect');
  }
}

describe('USB discovery', () => {
  const dfu: UsbDeviceInfo = {
    vendorId: 0x0483,
    productId: 0xdf11,
    serialNumber: '3574364C3034',
    manufacturerName: 'STMicroelectronics',
    productName: 'STM32 BOOTLOADER',
  };

  it('maps attach and detach to found and lost with usb://VID:PID/serial', async () => {
    const host = new FakeUsbHost();
    const events: DiscoveryEvent[] = [];
    const stop = createUsbSource({ host: async () => host }).start((e) => events.push(e));
    await tick();
    host.attach(dfu);
    host.detach(dfu);
    stop();
    expect(host.listeners()).toBe(0);
    expect(events).toEqual([
      {
        type: 'found',
        uri: 'usb://0483:df11/3574364C3034?protocol=dfu',
        transport: 'usb',
        label: 'STMicroelectronics STM32 BOOTLOADER (0483:df11)',
        details: {
          vendorId: '0483',
          productId: 'df11',
          serialNumber: '3574364C3034',
          manufacturer: 'STMicroelectronics',
          product: 'STM32 BOOTLOADER',
          name: 'STM32 system bootloader (DfuSe)',
          protocol: 'dfu',
          advice: expect.stringContaining('STM32 in DFU mode'),
        },
      },
      { type: 'lost', uri: 'usb://0483:df11/3574364C3034?protocol=dfu' },
    ]);
  });

  it('reports devices already plugged in, and scans them', async () => {
    const host = new FakeUsbHost();
    host.devices = [
      { vendorId: 0x18d1, productId: 0x4ee0 },
      { vendorId: 0x0955, productId: 0x7023 },
      { vendorId: 0x046d, productId: 0xc52b },
    ];
    const events: DiscoveryEvent[] = [];
    const stop = createUsbSource({ host: async () => host }).start((e) => events.push(e));
    await tick();
    stop();
    expect(events.map((e) => e.uri)).toEqual([
      'usb://18d1:4ee0?protocol=fastboot',
      'usb://0955:7023',
      'usb://046d:c52b',
    ]);
    const jetson = events[1] as Extract<DiscoveryEvent, { type: 'found' }>;
    expect(jetson.label).toBe('NVIDIA Jetson AGX Orin in recovery mode (0955:7023)');
    expect(jetson.details?.['advice']).toContain("NVIDIA's tools");
    expect(jetson.details?.['protocol']).toBeUndefined();
    expect((await createUsbSource({ host: async () => host }).scan(10)).map((c) => c.uri)).toEqual([
      'usb://18d1:4ee0?protocol=fastboot',
      'usb://0955:7023',
      'usb://046d:c52b',
    ]);
    expect(usbUri({ vendorId: 1, productId: 2, serialNumber: 'a/b' })).toBe('usb://0001:0002/a%2Fb');
  });

  it('answers nothing where there is no USB bus', async () => {
    const none = createUsbSource({
      host: async () => {
        throw new Error('/sys/bus/usb/devices/ not found');
      },
    });
    expect(await none.scan(10)).toEqual([]);
    // The real package on this machine: loads, and has no bus or an empty one.
    expect(Array.isArray(await createUsbSource().scan(10))).toBe(true);
  });
});

describe('devices --scan', () => {
  it('merges sources and reports a failing one without failing the scan', async () => {
    const result = await scanDevices(50, [
      {
        name: 'fake',
        start: () => () => undefined,
        scan: async () => [{ type: 'found', uri: 'tcp://10.0.0.5:7878', transport: 'lan', label: 'x' }],
      },
      { name: 'broken', start: () => () => undefined, scan: async () => Promise.reject(new Error('nope')) },
    ]);
    expect(result.candidates.map((c) => [c.uri, c.source])).toEqual([['tcp://10.0.0.5:7878', 'fake']]);
    expect(result.failed).toEqual([{ source: 'broken', message: 'nope' }]);
  });

  it('parses --timeout', () => {
    expect(parseScanTimeout('3s')).toBe(3000);
    expect(parseScanTimeout('500ms')).toBe(500);
    expect(parseScanTimeout('2')).toBe(2000);
    expect(() => parseScanTimeout('soon')).toThrow(/--timeout/);
  });
});

describe('paced serial line (bench link)', () => {
  it('holds bytes to the line rate and flips one bit every N bytes', async () => {
    const out: Buffer[] = [];
    const line = new PacedDirection({ bytesPerSec: 20_000, turnaroundMs: 2, flipEvery: 1000 }, (b) =>
      out.push(Buffer.from(b)),
    );
    const started = performance.now();
    line.push(Buffer.alloc(4000));
    while (Buffer.concat(out).length < 4000) await tick(5);
    const seconds = (performance.now() - started) / 1000;
    line.close();
    // 4000 bytes at 20,000 B/s is 0.2 s; a few ms of FIFO credit at most.
    expect(seconds).toBeGreaterThanOrEqual(0.19);
    const all = Buffer.concat(out);
    expect([...all].filter((b) => b !== 0).length).toBe(4);
    expect(all[999]).not.toBe(0);
  });
});
