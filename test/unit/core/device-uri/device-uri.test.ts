import { describe, expect, it } from 'vitest';
import { parseDeviceUri } from '../../../../core/device-uri/device-uri';

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

  it('refuses malformed addresses with a coded error and other schemes as not supported yet', () => {
    for (const bad of [
      '',
      'ttyUSB0',
      'tcp://',
      'serial://dev/ttyUSB0',
      'serial:///dev/x?baud=fast',
      'serial:///dev/x?pace=sometimes',
      'gopher://x',
    ])
      expect(parseDeviceUri(bad)).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(parseDeviceUri('ssh://root@10.0.0.5')).toMatchObject({
      ok: false,
      error: { code: 'not_supported' },
    });
  });
});
