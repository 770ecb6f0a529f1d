/**
 * mDNS browse for `_deckhand._tcp` (the laptop side of discovery): queries at start and then every
 * `queryIntervalMs`, reads PTR/SRV/TXT/A from answers and additionals, reports each agent once as
 * `found` (tcp://ADDRESS:PORT) and as `lost` on a goodbye (ttl 0). Bound to one interface address
 * when given (the technician's LAN adapter); else the OS default multicast interface.
 */
import makeMdns from 'multicast-dns';
import { DECKHAND_SERVICE, readResponse } from '../../../core/discovery/mdns-service';
import type { DiscoveryEvent, DiscoverySource } from '../../services/devices/discovery-source';

type Found = Extract<DiscoveryEvent, { type: 'found' }>;

/** Options of the browser. */
export interface MdnsSourceOptions {
  /** IPv4 address of the interface to browse on. */
  readonly interfaceAddress?: string;
  /** Re-query period (default 10 s). */
  readonly queryIntervalMs?: number;
  /** mDNS port (tests only; default 5353). */
  readonly port?: number;
}

/** The mDNS discovery source. */
export function createMdnsSource(options: MdnsSourceOptions = {}): DiscoverySource {
  const start = (onEvent: (event: DiscoveryEvent) => void): (() => void) => {
    const mdns = makeMdns({
      ...(options.interfaceAddress ? { interface: options.interfaceAddress } : {}),
      bind: '0.0.0.0',
      port: options.port ?? 5353,
    });
    const known = new Map<string, string>(); // instance name → uri
    mdns.on('error', () => undefined);
    mdns.on('warning', () => undefined);
    mdns.on('response', (packet) => {
      const { found, gone } = readResponse([...(packet.answers ?? []), ...(packet.additionals ?? [])]);
      for (const c of found) {
        const full = `${c.instance}.${DECKHAND_SERVICE}`;
        if (known.get(full) === c.uri) continue;
        known.set(full, c.uri);
        onEvent({
          type: 'found',
          uri: c.uri,
          transport: 'lan',
          label: c.txt['sn'] ? `${c.instance} (${c.txt['sn']})` : c.instance,
          details: {
            instance: c.instance,
            host: c.host,
            ...(c.txt['hw'] ? { hardware: c.txt['hw'] } : {}),
            ...(c.txt['sn'] ? { serialNumber: c.txt['sn'] } : {}),
            ...(c.txt['ver'] ? { agentVersion: c.txt['ver'] } : {}),
          },
        });
      }
      for (const name of gone) {
        const uri = known.get(name);
        if (uri === undefined) continue;
        known.delete(name);
        onEvent({ type: 'lost', uri });
      }
    });
    const query = (): void => mdns.query({ questions: [{ name: DECKHAND_SERVICE, type: 'PTR' }] });
    mdns.once('ready', query);
    const timer = setInterval(query, options.queryIntervalMs ?? 10_000);
    timer.unref();
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      mdns.destroy();
    };
  };
  return { name: 'mDNS', start, scan: (timeoutMs) => scanWith(start, timeoutMs) };
}

/** A one-shot scan built on start(): what was found and not lost within the timeout. */
export function scanWith(
  start: (onEvent: (event: DiscoveryEvent) => void) => () => void,
  timeoutMs: number,
): Promise<Found[]> {
  return new Promise((resolve) => {
    const seen = new Map<string, Found>();
    const stop = start((event) => {
      if (event.type === 'found') seen.set(event.uri, event);
      else seen.delete(event.uri);
    });
    setTimeout(() => {
      stop();
      resolve([...seen.values()]);
    }, timeoutMs);
  });
}
