/**
 * A loopback HTTPS proxy that misbehaves like a bad field network: it drops requests, delivers them
 * twice, delivers them late and out of order, delays them, and cuts connections after HQ answered.
 * It terminates TLS with HQ's own certificate, so the laptop's pin still holds. Faults are drawn from
 * a seeded generator, so a failing run can be replayed.
 */
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom } from './seeded-random';

/** What the proxy did, for asserting that every fault happened. */
export interface FaultStats {
  passed: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  delayed: number;
  cut: number;
}

type Fault = keyof FaultStats;

/** A running proxy. */
export interface FaultProxy {
  readonly url: string;
  readonly stats: FaultStats;
  /** Turns faults on or off (enrol through a quiet proxy, then make it noisy). */
  setFaulty(on: boolean): void;
  /** Waits until every late (reordered) delivery has reached HQ. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Options of the proxy. */
export interface FaultProxyOptions {
  readonly targetPort: number;
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  readonly seed: number;
  /** Probability of each fault per request (the rest pass). */
  readonly rates?: Partial<Record<Exclude<Fault, 'passed'>, number>>;
}

/** Starts the proxy on 127.0.0.1 and a free port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(options.seed);
  const rates = { dropped: 0.1, duplicated: 0.1, reordered: 0.1, delayed: 0.1, cut: 0.1, ...options.rates };
  const stats: FaultStats = { passed: 0, dropped: 0, duplicated: 0, reordered: 0, delayed: 0, cut: 0 };
  const late = new Set<Promise<unknown>>();
  let faulty = false;

  const pick = (): Fault => {
    if (!faulty) return 'passed';
    let roll = random();
    for (const [fault, rate] of Object.entries(rates) as [Fault, number][]) {
      if (roll < rate) return fault;
      roll -= rate;
    }
    return 'passed';
  };

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const upstream = request(
        {
          host: '127.0.0.1',
          port: options.targetPort,
          method: req.method,
          path: req.url,
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            'content-length': body.length,
          },
          rejectUnauthorized: false,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: { 'content-type': 'application/json' },
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const answer = (
    res: ServerResponse,
    reply: { status: number; headers: Record<string, string>; body: Buffer },
  ): void => {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': reply.body.length });
    res.end(reply.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = pick();
    stats[fault] += 1;
    try {
      switch (fault) {
        case 'dropped':
          res.socket?.destroy();
          return;
        case 'reordered': {
          // The client sees a failure now; HQ sees the request later, after newer ones.
          res.socket?.destroy();
          const delivery = sleep(20 + random() * 80)
            .then(() => forward(req, body))
            .catch(() => undefined);
          late.add(delivery);
          void delivery.finally(() => late.delete(delivery));
          return;
        }
        case 'duplicated': {
          const [first] = await Promise.all([forward(req, body), forward(req, body)]);
          answer(res, first);
          return;
        }
        case 'delayed':
          await sleep(random() * 40);
          answer(res, await forward(req, body));
          return;
        case 'cut':
          await forward(req, body);
          res.socket?.destroy();
          return;
        case 'passed':
          answer(res, await forward(req, body));
          return;
      }
    } catch {
      res.socket?.destroy();
    }
  };

  const server: Server = createServer(
    { cert: options.tls.certPem, key: options.tls.keyPem },
    (req, res) => void handle(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    setFaulty: (on) => {
      faulty = on;
    },
    settle: async () => {
      while (late.size > 0) await Promise.all([...late]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
