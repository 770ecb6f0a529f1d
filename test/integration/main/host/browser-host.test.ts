import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBrowserHost, type BrowserHost } from '../../../../main/host/browser-host';
import { openBackend, type Backend } from '../../../../main/services/backend';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();
let running: { host: BrowserHost; backend: Backend } | null = null;

afterEach(async () => {
  await running?.host.close();
  running?.backend.close();
  running = null;
});

async function start(): Promise<{ host: BrowserHost; backend: Backend }> {
  const rendererDir = join(tempDir(), 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Deckhand</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(tempDir(), 'secret.txt'), 'secret');
  const backend = openBackend({ dataDir: tempDir(), host: 'browser', version: 'test' });
  const host = await startBrowserHost({ handlers: backend.handlers, events: backend.events, rendererDir });
  running = { host, backend };
  return running;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function login(host: BrowserHost): Promise<string> {
  const reply = await get(host.url);
  expect(reply.status).toBe(303);
  const cookie = String(reply.headers['set-cookie']).split(';')[0]!;
  expect(String(reply.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
  return cookie;
}

function connect(host: BrowserHost, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/bridge`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(
  ws: WebSocket,
  frame: unknown,
): Promise<{ id: number | null; result: { ok: boolean; value?: unknown; error?: { code: string } } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as { id?: number | null; event?: string };
      if (message.event) return;
      ws.off('message', onMessage);
      resolve(message as never);
    };
    ws.on('message', onMessage);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('browser host', () => {
  it('listens on 127.0.0.1 only and prints a tokenised URL', async () => {
    const { host } = await start();
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    const { host } = await start();
    expect((await get(`${host.origin}/`)).status).toBe(401);
    expect((await get(`${host.origin}/assets/app.js`)).status).toBe(401);
    expect((await get(`${host.origin}/?token=wrong`)).status).toBe(403);
  });

  it('trades the token for a session once; the token cannot be reused', async () => {
    const { host } = await start();
    const cookie = await login(host);
    const page = await get(`${host.origin}/`, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Deckhand</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect((await get(host.url)).status).toBe(403);
  });

  it('serves files of the renderer only', async () => {
    const { host } = await start();
    const cookie = await login(host);
    expect((await get(`${host.origin}/assets/app.js`, { cookie })).headers['content-type']).toMatch(
      /javascript/,
    );
    expect((await get(`${host.origin}/../secret.txt`, { cookie })).status).toBe(404);
    expect((await get(`${host.origin}/%2e%2e/secret.txt`, { cookie })).status).toBe(404);
    expect((await get(`${host.origin}/missing.js`, { cookie })).status).toBe(404);
  });

  it('refuses a Host header other than loopback (DNS rebinding)', async () => {
    const { host } = await start();
    const cookie = await login(host);
    expect((await get(`${host.origin}/`, { cookie, host: `evil.example:${host.port}` })).status).toBe(421);
  });

  it('answers verbs over the WebSocket bridge and pushes events', async () => {
    const { host, backend } = await start();
    const cookie = await login(host);
    const ws = await connect(host, { cookie, origin: host.origin });
    expect(await call(ws, { id: 1, verb: 'logs.verify' })).toEqual({
      id: 1,
      result: { ok: true, value: { valid: true, size: 0, head: '0'.repeat(64) } },
    });
    const event = new Promise((resolve) => ws.on('message', (data) => resolve(JSON.parse(data.toString()))));
    backend.logs.record({ kind: 'app.started', device: null, payload: {} });
    expect(await event).toEqual({
      event: 'log.appended',
      payload: { seq: 1, kind: 'app.started', device: null },
    });
    ws.close();
  });

  it('answers invalid_input for malformed frames and bad verb input without executing anything', async () => {
    const { host, backend } = await start();
    const cookie = await login(host);
    const ws = await connect(host, { cookie, origin: host.origin });
    expect((await call(ws, 'not json')).result.error?.code).toBe('invalid_input');
    expect(
      (await call(ws, { id: 2, verb: 'logs.query', input: { offset: -5, limit: 1 } })).result.error?.code,
    ).toBe('invalid_input');
    expect((await call(ws, { id: 3, verb: 'logs.wipe' })).result.error?.code).toBe('unknown_verb');
    expect(backend.logs.verify()).toMatchObject({ valid: true, size: 0 });
    ws.close();
  });

  it('refuses a WebSocket without a session, or from another origin', async () => {
    const { host } = await start();
    const cookie = await login(host);
    await expect(connect(host, { origin: host.origin })).rejects.toThrow(/refused 401/);
    await expect(connect(host, { cookie, origin: 'http://evil.example' })).rejects.toThrow(/refused 403/);
    await expect(connect(host, { cookie })).rejects.toThrow(/refused 403/);
  });
});
