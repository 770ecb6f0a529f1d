import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createUsbDeviceTable, knownUsbDevices } from '../../../../core/usb/usb-device-table';

describe('USB device table', () => {
  it('maps the known bootloaders to their protocol, and Jetson recovery to advice', () => {
    const table = knownUsbDevices();
    expect(table.lookup(0x0483, 0xdf11)).toMatchObject({ protocol: 'dfu' });
    expect(table.lookup(0x18d1, 0x4ee0)).toMatchObject({ protocol: 'fastboot' });
    expect(table.lookup(0x0955, 0x7023)).toMatchObject({
      protocol: null,
      advice: expect.stringContaining("NVIDIA's"),
    });
    expect(table.lookup(0x0a5c, 0x2711)).toMatchObject({
      protocol: null,
      advice: expect.stringContaining('rpiboot'),
    });
    expect(table.lookup(0x1234, 0x5678)).toBeNull();
  });

  it('refuses a table that repeats a pair or has a bad id', () => {
    const row = { vendorId: '0483', productId: 'df11', name: 'x', protocol: 'dfu', advice: null };
    expect(() => createUsbDeviceTable({ devices: [row, row] })).toThrow(/twice/);
    expect(() => createUsbDeviceTable({ devices: [{ ...row, vendorId: '483' }] })).toThrow();
  });
});

describe('udev rules', () => {
  it('grant access to every device in the table, and nothing else', () => {
    const rules = readFileSync(
      new URL('../../../../resources/udev/70-deckhand.rules', import.meta.url),
      'utf8',
    );
    const pairs = [
      ...rules.matchAll(/ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})"/g),
    ].map((m) => `${m[1]}:${m[2]}`);
    const table = knownUsbDevices().entries.map((e) => `${e.vendorId}:${e.productId}`);
    expect(pairs.sort()).toEqual(table.sort());
    for (const line of rules.split('\n').filter((l) => l.startsWith('SUBSYSTEM')))
      expect(line).toMatch(/MODE="0660", GROUP="plugdev", TAG\+="uaccess"$/);
  });
});
