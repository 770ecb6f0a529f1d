/**
 * Device addresses as URIs (ARCHITECTURE.md § Devices). This module parses the two the Deckhand
 * agent speaks, `tcp://host:port` (TLS) and `serial:///dev/ttyUSB0?baud=115200`; the other schemes
 * belong to their adapters' issues and are refused with a clear message for now.
 */
import { fail, ok, type Result } from '../result';

/** A parsed agent address. */
export type DeviceUri =
  | { readonly scheme: 'tcp'; readonly host: string; readonly port: number; readonly uri: string }
  | {
      readonly scheme: 'serial';
      readonly path: string;
      readonly baud: number;
      /**
       * Pace sending at the line rate (baud / 10 bytes a second, 8N1): right for a real UART. `pace=off`
       * is for lines as fast as the host, a USB CDC-ACM gadget or a pty.
       */
      readonly pace: boolean;
      readonly uri: string;
    };

/** Default agent TCP port. */
export const DEFAULT_AGENT_PORT = 7878;
/** Default serial line rate. */
export const DEFAULT_BAUD = 115200;

/** Parses a device URI; the `uri` field is the normalised form (used as the key for pins). */
export function parseDeviceUri(text: string): Result<DeviceUri> {
  const invalid = (why: string): Result<never> =>
    fail(
      'invalid_input',
      `"${text}" is not a device address: ${why}. Use tcp://HOST:PORT or serial:///dev/ttyUSB0.`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('it is not a URI');
  }
  switch (url.protocol) {
    case 'tcp:': {
      if (url.hostname === '') return invalid('the host is missing');
      if (url.pathname !== '' && url.pathname !== '/') return invalid('a tcp address has no path');
      const port = url.port === '' ? DEFAULT_AGENT_PORT : Number(url.port);
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const shown = host.includes(':') ? `[${host}]` : host;
      return ok({ scheme: 'tcp', host, port, uri: `tcp://${shown}:${port}` });
    }
    case 'serial:': {
      if (url.hostname !== '') return invalid('write serial:///dev/… with three slashes');
      const path = decodeURIComponent(url.pathname);
      if (!path.startsWith('/')) return invalid('the serial device path must be absolute');
      const baudText = url.searchParams.get('baud');
      const baud = baudText === null ? DEFAULT_BAUD : Number(baudText);
      if (!Number.isInteger(baud) || baud < 50 || baud > 12_000_000)
        return invalid('baud must be a whole number');
      const paceText = url.searchParams.get('pace');
      if (paceText !== null && paceText !== 'off' && paceText !== 'line')
        return invalid('pace must be "line" or "off"');
      const pace = paceText !== 'off';
      return ok({
        scheme: 'serial',
        path,
        baud,
        pace,
        uri: `serial://${path}?baud=${baud}${pace ? '' : '&pace=off'}`,
      });
    }
    case 'ssh:':
    case 'swupdate:':
    case 'usb:':
    case 'smp+serial:':
      return fail('not_supported', `Deckhand cannot reach ${url.protocol}// devices yet.`);
    default:
      return invalid(`the scheme ${url.protocol} is unknown`);
  }
}
