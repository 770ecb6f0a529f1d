/**
 * The agent's mDNS advertisement: answers queries for `_deckhand._tcp.local` (PTR, SRV, TXT, A),
 * announces itself at start (twice, one second apart, RFC 6762 §8.3) and says goodbye (ttl 0) when it
 * stops. Bound to one interface address when the agent listens on one; on 0.0.0.0 it answers on every
 * interface with that host's non-internal IPv4 addresses.
 */
import makeMdns from 'multicast-dns';
import { hostname, networkInterfaces } from 'node:os';
import {
  advertRecords,
  DECKHAND_SERVICE,
  instanceName,
  type AgentAdvert,
} from '../core/discovery/mdns-service';

/** What to advertise. */
export interface AdvertiseOptions {
  /** The address the agent listens on (0.0.0.0 for all). */
  readonly listenHost: string;
  readonly port: number;
  readonly serialNumber: string;
  readonly hardware: string;
  readonly agentVersion: string;
  /** mDNS port (tests only; default 5353). */
  readonly mdnsPort?: number;
}

/** A running advertisement. */
export interface Advertiser {
  readonly advert: AgentAdvert;
  stop(): Promise<void>;
}

/** True for addresses worth advertising by default: not loopback, not unspecified-on-loopback-only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host.startsWith('127.') || host === '::1';
}

/** Starts answering; resolves once the socket is ready and the first announcement is sent. */
export async function startAdvertiser(options: AdvertiseOptions): Promise<Advertiser> {
  const anyHost = options.listenHost === '0.0.0.0';
  const addresses = anyHost ? externalIpv4() : [options.listenHost];
  const label = options.serialNumber.replace(/[^A-Za-z0-9-]/g, '-');
  const advert: AgentAdvert = {
    instance: `deckhand-${label}`,
    host: `deckhand-${label}-${hostname().replace(/[^A-Za-z0-9-]/g, '-')}`,
    port: options.port,
    addresses,
    txt: { hw: options.hardware, sn: options.serialNumber, ver: options.agentVersion, proto: '1' },
  };
  const mdns = makeMdns({
    ...(anyHost ? {} : { interface: options.listenHost }),
    bind: '0.0.0.0',
    port: options.mdnsPort ?? 5353,
    loopback: false,
  });
  mdns.on('error', () => undefined);
  mdns.on('warning', () => undefined);
  const name = instanceName(advert.instance).toLowerCase();
  const target = `${advert.host}.local`.toLowerCase();
  mdns.on('query', (query) => {
    const asked = query.questions.some((q) => {
      const n = q.name.toLowerCase();
      return n === DECKHAND_SERVICE || n === name || n === target;
    });
    if (asked) mdns.respond({ answers: advertRecords(advert) as never });
  });
  await new Promise<void>((resolve) => mdns.once('ready', () => resolve()));
  const announce = (): void => mdns.respond({ answers: advertRecords(advert) as never });
  announce();
  const again = setTimeout(announce, 1000);
  again.unref();
  return {
    advert,
    stop: () =>
      new Promise<void>((resolve) => {
        clearTimeout(again);
        mdns.respond({ answers: advertRecords(advert, 0) as never }, () => mdns.destroy(() => resolve()));
      }),
  };
}

function externalIpv4(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
}
