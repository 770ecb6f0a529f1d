/**
 * The `_deckhand._tcp` mDNS/DNS-SD service (RFC 6762/6763), as records: what an agent answers and how
 * the laptop reads answers back into device candidates. Pure data; the sockets live in
 * agent/mdns-advertiser.ts and main/adapters/discovery/mdns-source.ts. TXT keys: `hw` (hardware
 * model), `sn` (serial number), `ver` (agent version), `proto` (protocol versions, comma-separated).
 */

/** The service type every agent advertises. */
export const DECKHAND_SERVICE = '_deckhand._tcp.local';

/** Seconds a record may be cached (RFC 6762 §10 recommends 120 for host records; 75 min for others). */
export const RECORD_TTL = 120;

/** What an agent advertises. */
export interface AgentAdvert {
  /** Instance label, unique on the link (e.g. `deckhand-SN123`). */
  readonly instance: string;
  /** Host name without `.local`. */
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
  readonly txt: Readonly<Record<string, string>>;
}

/** One DNS resource record, as multicast-dns/dns-packet shape them (the subset used here). */
export type MdnsRecord =
  | { name: string; type: 'PTR'; ttl?: number; data: string }
  | {
      name: string;
      type: 'SRV';
      ttl?: number;
      data: { port: number; target: string; priority?: number; weight?: number };
    }
  | { name: string; type: 'TXT'; ttl?: number; data: string | Buffer | (string | Buffer)[] }
  | { name: string; type: 'A'; ttl?: number; data: string };

/** A candidate read from answers. */
export interface MdnsCandidate {
  readonly instance: string;
  readonly uri: string;
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly txt: Readonly<Record<string, string>>;
}

/** The full instance name, e.g. `deckhand-SN1._deckhand._tcp.local`. */
export function instanceName(instance: string): string {
  return `${instance}.${DECKHAND_SERVICE}`;
}

/** The records that answer a query for the service (ttl 0 for a goodbye). */
export function advertRecords(advert: AgentAdvert, ttl = RECORD_TTL): MdnsRecord[] {
  const name = instanceName(advert.instance);
  const target = `${advert.host}.local`;
  return [
    { name: DECKHAND_SERVICE, type: 'PTR', ttl, data: name },
    { name, type: 'SRV', ttl, data: { port: advert.port, target, priority: 0, weight: 0 } },
    { name, type: 'TXT', ttl, data: Object.entries(advert.txt).map(([k, v]) => `${k}=${v}`) },
    ...advert.addresses.map((address): MdnsRecord => ({ name: target, type: 'A', ttl, data: address })),
  ];
}

/** Decodes TXT data (strings or buffers of `key=value`). */
export function parseTxt(data: unknown): Record<string, string> {
  const items = Array.isArray(data) ? data : [data];
  const out: Record<string, string> = {};
  for (const item of items) {
    const text = Buffer.isBuffer(item) ? item.toString('utf8') : typeof item === 'string' ? item : '';
    const eq = text.indexOf('=');
    if (eq > 0) out[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return out;
}

/**
 * Reads a response's records (answers and additionals together): the instances it names, with their
 * SRV target's IPv4 address. `found` holds complete candidates; `gone` instances said goodbye (ttl 0).
 */
export function readResponse(
  records: readonly { name: string; type: string; ttl?: number; data?: unknown }[],
): {
  found: MdnsCandidate[];
  gone: string[];
} {
  const suffix = `.${DECKHAND_SERVICE}`;
  const instances = new Set<string>();
  const gone: string[] = [];
  for (const r of records) {
    if (r.type === 'PTR' && r.name.toLowerCase() === DECKHAND_SERVICE && typeof r.data === 'string') {
      if (r.ttl === 0) gone.push(r.data);
      else instances.add(r.data);
    }
    if (r.type === 'SRV' && r.name.toLowerCase().endsWith(suffix) && r.ttl !== 0) instances.add(r.name);
  }
  const found: MdnsCandidate[] = [];
  for (const name of instances) {
    const srv = records.find((r) => r.type === 'SRV' && r.name === name);
    const srvData = srv?.data as { port?: number; target?: string } | undefined;
    if (!srvData?.port || !srvData.target) continue;
    const a = records.find((r) => r.type === 'A' && r.name === srvData.target && typeof r.data === 'string');
    if (!a) continue;
    const txt = records.find((r) => r.type === 'TXT' && r.name === name);
    const address = a.data as string;
    found.push({
      instance: name.slice(0, -suffix.length),
      uri: `tcp://${address}:${srvData.port}`,
      host: srvData.target,
      port: srvData.port,
      address,
      txt: txt ? parseTxt(txt.data) : {},
    });
  }
  return { found, gone };
}
