/**
 * HQ's HTTPS API (see docs/sync.md for the formats). Every reply is the Result shape,
 * `{ ok: true, value }` or `{ ok: false, error: { code, message, details? } }`, with an HTTP status
 * that matches, so a laptop can tell "try again" (5xx, network) from "HQ refused" (4xx).
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DeckhandError, toErrorData, type ErrorCode } from '../core/result';
import type { HqKeys } from './hq-identity';
import type { HqService } from './hq-service';

/** Largest JSON body HQ reads (a batch of 10,000 events with large payloads). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** A running HQ server. */
export interface RunningHq {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Options of the server. */
export interface HqServerOptions {
  readonly service: HqService;
  readonly keys: HqKeys;
  readonly host: string;
  readonly port: number;
  /** Receives failures that are not the client's doing. */
  readonly logInternal?: (route: string, thrown: unknown) => void;
}

/** Starts the HTTPS server. */
export async function startHqServer(options: HqServerOptions): Promise<RunningHq> {
  const server = createServer(
    { cert: options.keys.tls.certPem, key: options.keys.tls.keyPem },
    (req, res) => {
      void handle(options, req, res);
    },
  );
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `https://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: HqServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { service } = options;
  const url = new URL(req.url ?? '/', 'https://hq');
  const route = `${req.method ?? 'GET'} ${url.pathname}`;
  try {
    const receiptMatch = /^\/v1\/technicians\/([0-9a-f]{32})\/receipt$/.exec(url.pathname);
    let value: unknown;
    if (route === 'GET /v1/identity')
      value = { ...service.identity(), fingerprint: options.keys.fingerprint };
    else if (route === 'POST /v1/enrol') value = await service.enrol(await readJson(req));
    else if (route === 'POST /v1/batches') value = await service.acceptBatch(await readJson(req));
    else if (req.method === 'GET' && receiptMatch) value = await service.receipt(receiptMatch[1] as string);
    else if (route === 'POST /v1/import') value = await importBody(service, req);
    else if (route === 'GET /v1/fleet/devices') value = await service.devices();
    else if (route === 'GET /v1/fleet/deployments') value = await service.deployments();
    else if (route === 'GET /v1/fleet/diagnostics') value = await service.diagnostics();
    else if (route === 'GET /v1/dora') value = await service.dora();
    else throw new DeckhandError('not_found', `HQ has no ${route}.`);
    reply(res, 200, { ok: true, value });
  } catch (thrown) {
    const error = toErrorData(thrown);
    if (error.code === 'internal') options.logInternal?.(route, thrown);
    reply(res, statusFor(error.code), { ok: false, error });
  }
}

async function importBody(service: HqService, req: IncomingMessage): Promise<unknown> {
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-hq-import-'));
  try {
    const file = join(dir, 'upload.dhlog');
    await pipeline(req, createWriteStream(file));
    return await service.importFile(file, { enrolUnknown: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) {
        reject(new DeckhandError('invalid_input', 'The request is too large for HQ.'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new DeckhandError('invalid_input', 'HQ could not read the request (not JSON).'));
      }
    });
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function statusFor(code: ErrorCode): number {
  switch (code) {
    case 'invalid_input':
    case 'chain_broken':
    case 'invalid_checkpoint':
    case 'truncated':
    case 'bad_signature':
      return 400;
    case 'unauthorized':
    case 'not_enrolled':
    case 'key_revoked':
      return 403;
    case 'not_found':
      return 404;
    case 'inconsistent_log':
      return 409;
    default:
      return 500;
  }
}
