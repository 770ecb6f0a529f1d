import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  createAppProtocolHandler,
  registerAppScheme,
  resolveAppRequest,
} from '../../../../main/electron/app-protocol';

const root = resolve('/srv/deckhand/out/renderer');

describe('resolveAppRequest', () => {
  it('maps app://deckhand paths to files under the renderer root', () => {
    expect(resolveAppRequest('app://deckhand/index.html', root)).toEqual({
      kind: 'file',
      path: join(root, 'index.html'),
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppRequest('app://deckhand/', root)).toMatchObject({
      kind: 'file',
      path: join(root, 'index.html'),
    });
    expect(resolveAppRequest('app://deckhand/assets/index-abc.js?v=1#x', root)).toMatchObject({
      path: join(root, 'assets', 'index-abc.js'),
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppRequest('app://deckhand/assets/a%20b.css', root)).toMatchObject({
      path: join(root, 'assets', 'a b.css'),
      contentType: 'text/css; charset=utf-8',
    });
  });

  it.each([
    'app://deckhand/..%2F..%2Fetc%2Fpasswd',
    'app://deckhand/assets/..%2f..%2f..%2fetc/passwd',
    'app://deckhand/%2e%2e%2F%2e%2e%2Fetc/passwd',
  ])('refuses traversal that survives URL normalisation: %s', (url) => {
    expect(resolveAppRequest(url, root)).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('keeps dot segments inside the root (the URL parser removes them before we see them)', () => {
    const result = resolveAppRequest('app://deckhand/../../etc/passwd', root);
    expect(result).toMatchObject({ kind: 'file', path: join(root, 'etc', 'passwd') });
  });

  it.each([
    ['another host', 'app://evil/index.html', 403],
    ['a look-alike host', 'app://deckhand.evil/index.html', 403],
    ['a port', 'app://deckhand:8080/index.html', 403],
    ['credentials', 'app://user@deckhand/index.html', 403],
    ['another scheme', 'file:///srv/deckhand/out/renderer/index.html', 400],
    ['a malformed escape', 'app://deckhand/%E0%A4%A', 400],
    ['a NUL byte', 'app://deckhand/index.html%00.png', 400],
    ['a backslash', 'app://deckhand/..%5C..%5Cwindows%5Cwin.ini', 400],
  ])('refuses %s', (_label, url, status) => {
    expect(resolveAppRequest(url, root)).toMatchObject({ kind: 'refused', status });
  });

  it('refuses methods other than GET and HEAD', () => {
    expect(resolveAppRequest('app://deckhand/index.html', root, 'POST')).toMatchObject({
      kind: 'refused',
      status: 405,
    });
    expect(resolveAppRequest('app://deckhand/index.html', root, 'HEAD')).toMatchObject({ kind: 'file' });
  });

  it('serves unknown file types as opaque bytes', () => {
    expect(resolveAppRequest('app://deckhand/blob.bin', root)).toMatchObject({
      contentType: 'application/octet-stream',
    });
    expect(resolveAppRequest('app://deckhand/logo.svg', root)).toMatchObject({
      contentType: 'image/svg+xml',
    });
    expect(resolveAppRequest('app://deckhand/font.woff2', root)).toMatchObject({ contentType: 'font/woff2' });
  });
});

describe('createAppProtocolHandler', () => {
  let dir: string;
  let rendererRoot: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'deckhand-protocol-'));
    rendererRoot = join(dir, 'renderer');
    mkdirSync(join(rendererRoot, 'assets'), { recursive: true });
    writeFileSync(join(rendererRoot, 'index.html'), '<!doctype html><title>Deckhand</title>');
    writeFileSync(join(rendererRoot, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'outside the root');
    symlinkSync(join(dir, 'secret.txt'), join(rendererRoot, 'link.txt'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const get = (url: string, method = 'GET') =>
    createAppProtocolHandler(rendererRoot)(new Request(url, { method }));

  it('serves files with their MIME type, the CSP and nosniff', async () => {
    const response = await get('app://deckhand/index.html');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<title>Deckhand</title>');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await get('app://deckhand/assets/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('answers 404 for missing files and folders, with the CSP still set', async () => {
    for (const url of ['app://deckhand/missing.js', 'app://deckhand/assets']) {
      const response = await get(url);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    }
  });

  it('refuses other hosts, traversal and symlinks that leave the root', async () => {
    expect((await get('app://evil/index.html')).status).toBe(403);
    expect((await get('app://deckhand/..%2Fsecret.txt')).status).toBe(403);
    const viaLink = await get('app://deckhand/link.txt');
    expect(viaLink.status).toBe(404);
    expect(await viaLink.text()).not.toContain('outside the root');
  });

  it('refuses writes', async () => {
    expect((await get('app://deckhand/index.html', 'POST')).status).toBe(405);
  });
});

describe('scheme registration and policy', () => {
  it('registers app: as standard, secure and fetch-capable', () => {
    const protocol = { registerSchemesAsPrivileged: vi.fn() };
    registerAppScheme(protocol);
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
  });

  it('has the strict policy', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  const indexHtml = resolve('renderer/index.html');
  it.skipIf(!existsSync(indexHtml))('matches the meta tag in renderer/index.html', () => {
    const html = readFileSync(indexHtml, 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
    const normalise = (policy: string) =>
      policy
        .split(';')
        .map((directive) => directive.trim().replace(/\s+/g, ' '))
        .filter(Boolean)
        .sort();
    // frame-ancestors is ignored in a meta tag, so only the header can carry it.
    expect(normalise(meta?.[1] ?? '').filter((d) => !d.startsWith('frame-ancestors'))).toEqual(
      normalise(CONTENT_SECURITY_POLICY).filter((d) => !d.startsWith('frame-ancestors')),
    );
  });
});
