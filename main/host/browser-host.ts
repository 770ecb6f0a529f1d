/**
 * The browser host: the same backend and renderer as the desktop app, for machines where Electron
 * cannot run and for end-to-end tests. It binds 127.0.0.1 only. The printed URL carries a one-time
 * token; opening it trades the token for an HttpOnly, SameSite=Strict session cookie. Every page,
 * file and the WebSocket bridge require that session; the bridge also checks Host and Origin so
 * other web pages and DNS-rebinding tricks cannot drive it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { fail } from '../../core/result';
import { createGate, type VerbHandlers } from '../ipc/gate';
import type { EventBus } from '../services/event-bus';
import { CONTENT_SECURITY_POLICY, contentTypeFor, resolveStaticPath } from './renderer-assets';

/** The loopback address; the host never binds anything else. */
export const LOOPBACK = '127.0.0.1';
const SESSION_COOKIE = 'deckhand_session';
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface BrowserHostOptions {
  readonly handlers: VerbHandlers;
  readonly events: EventBus;
  /** The built renderer (out/renderer). */
  readonly rendererDir: string;
  /** 0 or absent: any free port. */
  readonly port?: number;
  readonly logInternal?: (verb: string, thrown: unknown) => void;
}

/** A running browser host. */
export interface BrowserHost {
  /** The one-time URL to open (carries the token). */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** One request frame from the renderer's bridge. */
const requestFrame = z
  .object({ id: z.number().int().nonnegative(), verb: z.string().max(100), input: z.unknown().optional() })
  .strict();

/** Starts the host on 127.0.0.1 and resolves once it listens. */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = randomBytes(32).toString('base64url');
  let tokenUsed = false;
  const sessions = new Set<string>();
  const gate = createGate(options.handlers, options.logInternal);
  const sockets = new Set<WebSocket>();
  let origin = '';
  let allowedHosts = new Set<string>();

  const hasSession = (request: IncomingMessage): boolean => {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    return id !== undefined && sessions.has(id);
  };

  const server = createServer((request, response) => {
    void handleHttp(request, response).catch(() => {
      if (!response.headersSent) plain(response, 500, 'Deckhand could not serve this page.');
      else response.destroy();
    });
  });

  async function handleHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!allowedHosts.has(request.headers.host ?? '')) return plain(response, 421, 'Wrong host.');
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return plain(response, 405, 'Method not allowed.');
    const url = new URL(request.url ?? '/', origin);
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      if (tokenUsed || !sameSecret(offered, token)) {
        return plain(
          response,
          403,
          'This Deckhand link was already used or is wrong. Restart "npm run start:browser" (or "deckhand host") for a new one.',
        );
      }
      tokenUsed = true;
      const session = randomBytes(32).toString('base64url');
      sessions.add(session);
      response.writeHead(303, {
        location: '/',
        'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      response.end();
      return;
    }
    if (!hasSession(request)) {
      return plain(response, 401, 'Open Deckhand with the link that "deckhand host" printed.');
    }
    const file = resolveStaticPath(options.rendererDir, url.pathname);
    if (file === null) return plain(response, 404, 'Not found.');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return plain(response, 404, 'Not found.');
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': contentTypeFor(file),
      'content-length': info.size,
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(file).pipe(response);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', origin);
    const refusal =
      url.pathname !== '/bridge'
        ? '404 Not Found'
        : !allowedHosts.has(request.headers.host ?? '') ||
            !isAllowedOrigin(request.headers.origin, allowedHosts)
          ? '403 Forbidden'
          : !hasSession(request)
            ? '401 Unauthorized'
            : null;
    if (refusal !== null) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        void answer(ws, isBinary ? null : data.toString());
      });
    });
  });

  async function answer(ws: WebSocket, text: string | null): Promise<void> {
    let frame: z.infer<typeof requestFrame>;
    try {
      frame = requestFrame.parse(JSON.parse(text ?? ''));
    } catch {
      send(ws, {
        id: null,
        result: fail('invalid_input', 'The request was malformed and nothing was done.'),
      });
      return;
    }
    // The socket passed the session, Host and Origin checks at upgrade: it is the trusted sender.
    const result = await gate(frame.verb, frame.input, { trusted: true });
    send(ws, { id: frame.id, result });
  }

  const unsubscribe = options.events.subscribe((name, payload) => {
    for (const ws of sockets) send(ws, { event: name, payload });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${LOOPBACK}:${port}`;
  allowedHosts = new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

function plain(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  response.end(`${message}\n`);
}

function send(ws: WebSocket, frame: object): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
}

function sameSecret(offered: string, expected: string): boolean {
  const a = Buffer.from(offered);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function isAllowedOrigin(originHeader: string | undefined, hosts: ReadonlySet<string>): boolean {
  if (!originHeader) return false;
  try {
    const parsed = new URL(originHeader);
    return parsed.protocol === 'http:' && hosts.has(parsed.host);
  } catch {
    return false;
  }
}
