import { describe, expect, it } from 'vitest';
import { parseAgentUri, parseDeviceUri } from '../../../../core/device-uri/device-uri';

describe('device URIs', () => {
  it('parses tcp and serial addresses into a normalised form', () => {
    expect(parseDeviceUri('tcp://10.0.0.5:7000')).toEqual({
      ok: true,
      value: { scheme: 'tcp', host: '10.0.0.5', port: 7000, uri: 'tcp://10.0.0.5:7000' },
    });
    expect(parseDeviceUri('tcp://device.local')).toMatchObject({ ok: true, value: { port: 7878 } });
    expect(parseDeviceUri('tcp://[fe80::1]:9')).toMatchObject({
      ok: true,
      value: { host: 'fe80::1', uri: 'tcp://[fe80::1]:9' },
    });
    expect(parseDeviceUri('serial:///dev/ttyUSB0?baud=9600')).toEqual({
      ok: true,
      value: {
        scheme: 'serial',
        path: '/dev/ttyUSB0',
        baud: 9600,
        pace: true,
        uri: 'serial:///dev/ttyUSB0?baud=9600',
      },
    });
    expect(parseDeviceUri('serial:///dev/pts/3?pace=off')).toMatchObject({
      ok: true,
      value: { pace: false, uri: 'serial:///dev/pts/3?baud=115200&pace=off' },
    });
    expect(parseDeviceUri('serial:///dev/ttyACM0')).toMatchObject({ ok: true, value: { baud: 115200 } });
  });

  it('parses the updater, USB and MCUmgr schemes', () => {
    expect(parseDeviceUri('ssh://root@10.0.0.5:2222?installer=rauc')).toEqual({
      ok: true,
      value: {
        scheme: 'ssh',
        user: 'root',
        host: '10.0.0.5',
        port: 2222,
        installer: 'rauc',
        uri: 'ssh://root@10.0.0.5:2222?installer=rauc',
      },
    });
    expect(parseDeviceUri('ssh://pi@cam.local')).toMatchObject({
      ok: true,
      value: { port: 22, installer: 'copy', uri: 'ssh://pi@cam.local:22?installer=copy' },
    });
    expect(parseDeviceUri('swupdate://127.0.0.1')).toMatchObject({
      ok: true,
      value: { scheme: 'swupdate', port: 8080 },
    });
    expect(parseDeviceUri('usb://0483:DF11/ABC123?protocol=dfu')).toEqual({
      ok: true,
      value: {
        scheme: 'usb',
        vendorId: 0x0483,
        productId: 0xdf11,
        serial: 'ABC123',
        protocol: 'dfu',
        uri: 'usb://0483:df11/ABC123?protocol=dfu',
      },
    });
    expect(parseDeviceUri('smp+serial:///dev/ttyACM0')).toMatchObject({
      ok: true,
      value: { scheme: 'smp+serial', path: '/dev/ttyACM0', uri: 'smp+serial:///dev/ttyACM0?baud=115200' },
    });
    expect(parseDeviceUri('smp+udp://192.0.2.7')).toMatchObject({
      ok: true,
      value: { scheme: 'smp+udp', port: 1337 },
    });
  });

  it('refuses malformed addresses with a coded error', () => {
    for (const bad of [
      '',
      'ttyUSB0',
      'tcp://',
      'serial://dev/ttyUSB0',
      'serial:///dev/x?baud=fast',
      'serial:///dev/x?pace=sometimes',
      'gopher://x',
      'ssh://10.0.0.5',
      'ssh://root:secret@10.0.0.5',
      'ssh://root@10.0.0.5?installer=apt',
      'usb://483:df11?protocol=dfu',
      'usb://0483:df11',
      'usb://0483:df11?protocol=jtag',
    ])
      expect(parseDeviceUri(bad)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(parseAgentUri('ssh://root@10.0.0.5')).toMatchObject({
      ok: false,
      error: { code: 'not_supported' },
    });
  });
});
