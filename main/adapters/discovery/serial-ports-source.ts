/**
 * Serial ports as device candidates: polls the port list (serialport's SerialPort.list(): path,
 * VID/PID, manufacturer, serial number) every few seconds and reports ports that appear (`found`,
 * serial:///dev/ttyUSB0) and disappear (`lost`). The lister is injectable for tests; the default
 * loads serialport (a native module) only when first used.
 */
import type { DiscoveryEvent, DiscoverySource } from '../../services/devices/discovery-source';

/** One port, as serialport's list() reports it. */
export interface SerialPortInfo {
  readonly path: string;
  readonly manufacturer?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
  readonly pnpId?: string | undefined;
}

/** Lists the ports present now. */
export type SerialPortLister = () => Promise<readonly SerialPortInfo[]>;

/** serialport's lister. */
export const listSerialPorts: SerialPortLister = async () => {
  const { SerialPort } = await import('serialport');
  return SerialPort.list();
};

/** Options of the source. */
export interface SerialPortsSourceOptions {
  readonly list?: SerialPortLister;
  /** Poll period (default 3 s). */
  readonly pollMs?: number;
}

/** The URI of a port. */
export function serialUri(path: string): string {
  return `serial://${path}`;
}

function toFound(port: SerialPortInfo): Extract<DiscoveryEvent, { type: 'found' }> {
  const details: Record<string, string> = { path: port.path };
  for (const key of ['manufacturer', 'serialNumber', 'vendorId', 'productId', 'pnpId'] as const) {
    const value = port[key];
    if (value) details[key] = value;
  }
  const ids = port.vendorId && port.productId ? ` ${port.vendorId}:${port.productId}` : '';
  return {
    type: 'found',
    uri: serialUri(port.path),
    transport: 'serial',
    label: `${port.path}${port.manufacturer ? ` (${port.manufacturer}${ids})` : ids}`,
    details,
  };
}

/** The serial port discovery source. */
export function createSerialPortsSource(options: SerialPortsSourceOptions = {}): DiscoverySource {
  const list = options.list ?? listSerialPorts;
  const start = (onEvent: (event: DiscoveryEvent) => void): (() => void) => {
    const present = new Set<string>();
    let stopped = false;
    let busy = false;
    const poll = async (): Promise<void> => {
      if (busy || stopped) return;
      busy = true;
      try {
        const ports = await list();
        if (stopped) return;
        const now = new Set(ports.map((p) => p.path));
        for (const port of ports)
          if (!present.has(port.path)) {
            present.add(port.path);
            onEvent(toFound(port));
          }
        for (const path of [...present])
          if (!now.has(path)) {
            present.delete(path);
            onEvent({ type: 'lost', uri: serialUri(path) });
          }
      } catch {
        // A failed listing (permissions, a port vanishing mid-read) is retried at the next poll.
      } finally {
        busy = false;
      }
    };
    void poll();
    const timer = setInterval(() => void poll(), options.pollMs ?? 3000);
    timer.unref();
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  };
  return {
    name: 'serial ports',
    start,
    scan: async () => (await list()).map(toFound),
  };
}
