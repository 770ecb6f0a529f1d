/**
 * Device addresses as URIs (ARCHITECTURE.md § Devices). Each scheme names the adapter that reaches
 * the device:
 *   tcp://host:port                              Deckhand agent over TLS
 *   serial:///dev/ttyUSB0?baud=115200[&pace=off] Deckhand agent over the framed serial link
 *   ssh://user@host:22?installer=rauc|mender|swupdate|copy   a device's own updater over SSH
 *   swupdate://host:8080                         SWUpdate's web server
 *   usb://VID:PID[/SERIAL]?protocol=dfu|fastboot USB bootloaders
 *   smp+serial:///dev/ttyACM0[?baud=115200]      MCUmgr SMP over a serial console
 *   smp+udp://host:1337                          MCUmgr SMP over UDP
 * The `uri` field of every parsed address is its normalised form, the key for pins and the device
 * list.
 */
import { fail, ok, type Result } from '../result';

/** Installers reachable over SSH. */
export const SSH_INSTALLERS = ['rauc', 'mender', 'swupdate', 'copy'] as const;
export type SshInstaller = (typeof SSH_INSTALLERS)[number];

/** USB bootloader protocols. */
export const USB_PROTOCOLS = ['dfu', 'fastboot'] as const;
export type UsbProtocol = (typeof USB_PROTOCOLS)[number];

/** A Deckhand agent address. */
export type AgentUri =
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

/** Any parsed device address. */
export type DeviceUri =
  | AgentUri
  | {
      readonly scheme: 'ssh';
      readonly user: string;
      readonly host: string;
      readonly port: number;
      readonly installer: SshInstaller;
      readonly uri: string;
    }
  | { readonly scheme: 'swupdate'; readonly host: string; readonly port: number; readonly uri: string }
  | {
      readonly scheme: 'usb';
      readonly vendorId: number;
      readonly productId: number;
      readonly serial: string | null;
      readonly protocol: UsbProtocol;
      readonly uri: string;
    }
  | { readonly scheme: 'smp+serial'; readonly path: string; readonly baud: number; readonly uri: string }
  | { readonly scheme: 'smp+udp'; readonly host: string; readonly port: number; readonly uri: string };

/** The scheme names. */
export type DeviceScheme = DeviceUri['scheme'];

/** Default agent TCP port. */
export const DEFAULT_AGENT_PORT = 7878;
/** Default serial line rate. */
export const DEFAULT_BAUD = 115200;
/** SWUpdate's web server default port. */
export const DEFAULT_SWUPDATE_PORT = 8080;
/** MCUmgr's UDP port. */
export const DEFAULT_SMP_UDP_PORT = 1337;

/** True for the addresses the Deckhand agent answers on. */
export function isAgentUri(uri: DeviceUri): uri is AgentUri {
  return uri.scheme === 'tcp' || uri.scheme === 'serial';
}

const EXAMPLES =
  'Use tcp://HOST:PORT, serial:///dev/ttyUSB0, ssh://USER@HOST?installer=rauc, swupdate://HOST:8080, usb://0483:df11?protocol=dfu or smp+serial:///dev/ttyACM0.';

/** Parses a device URI; the `uri` field is the normalised form (used as the key for pins). */
export function parseDeviceUri(text: string): Result<DeviceUri> {
  const invalid = (why: string): Result<never> =>
    fail('invalid_input', `"${text}" is not a device address: ${why}. ${EXAMPLES}`);
  // usb://VID:PID is no valid URL authority (PID is no port number): parsed by hand.
  if (/^usb:/i.test(text)) return parseUsbUri(text, invalid);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('it is not a URI');
  }
  const host = (): string => (url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname);
  const shownHost = (name: string): string => (name.includes(':') ? `[${name}]` : name);
  const baudOf = (): number | null => {
    const baudText = url.searchParams.get('baud');
    const baud = baudText === null ? DEFAULT_BAUD : Number(baudText);
    return Number.isInteger(baud) && baud >= 50 && baud <= 12_000_000 ? baud : null;
  };
  switch (url.protocol) {
    case 'tcp:': {
      if (url.hostname === '') return invalid('the host is missing');
      if (url.pathname !== '' && url.pathname !== '/') return invalid('a tcp address has no path');
      const port = url.port === '' ? DEFAULT_AGENT_PORT : Number(url.port);
      return ok({ scheme: 'tcp', host: host(), port, uri: `tcp://${shownHost(host())}:${port}` });
    }
    case 'serial:':
    case 'smp+serial:': {
      if (url.hostname !== '') return invalid('write serial:///dev/… with three slashes');
      const path = decodeURIComponent(url.pathname);
      if (!path.startsWith('/')) return invalid('the serial device path must be absolute');
      const baud = baudOf();
      if (baud === null) return invalid('baud must be a whole number');
      if (url.protocol === 'smp+serial:')
        return ok({ scheme: 'smp+serial', path, baud, uri: `smp+serial://${path}?baud=${baud}` });
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
    case 'ssh:': {
      if (url.hostname === '') return invalid('the host is missing');
      const user = decodeURIComponent(url.username);
      if (user === '') return invalid('the user is missing (ssh://USER@HOST)');
      if (url.password !== '') return invalid('passwords do not belong in addresses; Deckhand uses keys');
      const installer = url.searchParams.get('installer') ?? 'copy';
      if (!(SSH_INSTALLERS as readonly string[]).includes(installer))
        return invalid(`installer must be one of ${SSH_INSTALLERS.join(', ')}`);
      const port = url.port === '' ? 22 : Number(url.port);
      return ok({
        scheme: 'ssh',
        user,
        host: host(),
        port,
        installer: installer as SshInstaller,
        uri: `ssh://${encodeURIComponent(user)}@${shownHost(host())}:${port}?installer=${installer}`,
      });
    }
    case 'swupdate:':
    case 'smp+udp:': {
      if (url.hostname === '') return invalid('the host is missing');
      const swupdate = url.protocol === 'swupdate:';
      const port =
        url.port === '' ? (swupdate ? DEFAULT_SWUPDATE_PORT : DEFAULT_SMP_UDP_PORT) : Number(url.port);
      const scheme = swupdate ? 'swupdate' : 'smp+udp';
      return ok({ scheme, host: host(), port, uri: `${scheme}://${shownHost(host())}:${port}` });
    }
    default:
      return invalid(`the scheme ${url.protocol} is unknown`);
  }
}

function parseUsbUri(text: string, invalid: (why: string) => Result<never>): Result<DeviceUri> {
  const match = /^usb:\/\/([0-9a-f]{4}):([0-9a-f]{4})(?:\/([^?]+))?(?:\?(.*))?$/i.exec(text);
  if (match === null) return invalid('write usb://VID:PID[/SERIAL]?protocol=dfu with four hex digits each');
  const vid = match[1]!.toLowerCase();
  const pid = match[2]!.toLowerCase();
  const serial = match[3] === undefined ? null : decodeURIComponent(match[3]);
  const protocol = new URLSearchParams(match[4] ?? '').get('protocol');
  if (protocol === null || !(USB_PROTOCOLS as readonly string[]).includes(protocol))
    return invalid(`protocol must be one of ${USB_PROTOCOLS.join(', ')}`);
  return ok({
    scheme: 'usb',
    vendorId: parseInt(vid, 16),
    productId: parseInt(pid, 16),
    serial,
    protocol: protocol as UsbProtocol,
    uri: `usb://${vid}:${pid}${serial === null ? '' : `/${encodeURIComponent(serial)}`}?protocol=${protocol}`,
  });
}

/** Parses an address that must reach a Deckhand agent (tcp:// or serial://). */
export function parseAgentUri(text: string): Result<AgentUri> {
  const parsed = parseDeviceUri(text);
  if (!parsed.ok || isAgentUri(parsed.value)) return parsed as Result<AgentUri>;
  return fail(
    'not_supported',
    `${parsed.value.uri} is not a Deckhand agent address; this needs tcp://HOST:PORT or serial:///dev/…`,
  );
}
