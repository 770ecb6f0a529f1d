/**
 * The `app://deckhand` protocol: serves the built renderer (out/renderer) and nothing else, with the
 * same Content-Security-Policy as the renderer's meta tag, so a page that loses its meta tag is still
 * locked down. Request → file resolution is a pure function; the handler adds file I/O.
 */
import { realpath, readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { CustomScheme, Protocol } from 'electron';
import { CONTENT_SECURITY_POLICY, contentTypeFor } from '../host/renderer-assets';
import { APP_HOST, APP_SCHEME } from './app-origin';

export { CONTENT_SECURITY_POLICY } from '../host/renderer-assets';

/** Headers on every app:// response, successful or not. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** The privileges `app:` needs: standard (real origin, relative URLs), secure context, fetch. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** What an app:// request maps to: a file under the renderer root, or a refusal with its status. */
export type AppRequestResolution =
  | { readonly kind: 'file'; readonly path: string; readonly contentType: string }
  | { readonly kind: 'refused'; readonly status: 400 | 403 | 404 | 405; readonly reason: string };

const refuse = (status: 400 | 403 | 404 | 405, reason: string): AppRequestResolution => ({
  kind: 'refused',
  status,
  reason,
});

/** Whether `child` is `root` itself or inside it. */
function isInside(root: string, child: string): boolean {
  const rel = relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Maps a request to a file under `rendererRoot` without touching the disk. Refuses other schemes and
 * hosts, credentials and ports, methods other than GET/HEAD, malformed escapes, NUL bytes, backslashes
 * and any `..` that survives URL normalisation (e.g. an encoded `%2F`).
 */
export function resolveAppRequest(url: string, rendererRoot: string, method = 'GET'): AppRequestResolution {
  if (method !== 'GET' && method !== 'HEAD') return refuse(405, 'method not allowed');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(400, 'malformed URL');
  }
  if (parsed.protocol !== `${APP_SCHEME}:`) return refuse(400, 'wrong scheme');
  if (parsed.hostname.toLowerCase() !== APP_HOST || parsed.port || parsed.username || parsed.password) {
    return refuse(403, 'unknown host');
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return refuse(400, 'malformed escape');
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return refuse(400, 'illegal character in path');
  const segments = pathname.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '..' || segment === '.')) return refuse(403, 'path traversal');
  if (pathname.endsWith('/')) segments.push('index.html');
  if (segments.length === 0) segments.push('index.html');

  const root = resolve(rendererRoot);
  const filePath = resolve(root, ...segments);
  if (!isInside(root, filePath) || filePath === root) return refuse(403, 'path traversal');
  return { kind: 'file', path: filePath, contentType: contentTypeFor(filePath) };
}

/** The part of a fetch Request the handler reads (Electron passes a full GlobalRequest). */
export type AppRequest = Pick<Request, 'url' | 'method'>;

/**
 * Builds the `protocol.handle('app', …)` handler serving `rendererRoot`. Symlinks that lead outside
 * the root are refused after resolving them, not only the lexical path.
 */
export function createAppProtocolHandler(rendererRoot: string): (request: AppRequest) => Promise<Response> {
  const plain = (status: number, text: string): Response =>
    new Response(text, {
      status,
      headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
    });

  return async (request) => {
    const resolution = resolveAppRequest(request.url, rendererRoot, request.method);
    if (resolution.kind === 'refused') return plain(resolution.status, resolution.reason);
    try {
      const [realRoot, realFile] = await Promise.all([realpath(rendererRoot), realpath(resolution.path)]);
      if (!isInside(realRoot, realFile) || !(await stat(realFile)).isFile()) return plain(404, 'not found');
      const body = request.method === 'HEAD' ? null : await readFile(realFile);
      return new Response(body, {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'Content-Type': resolution.contentType },
      });
    } catch {
      return plain(404, 'not found');
    }
  };
}

/** Declares `app:` privileged; Electron requires this before the `ready` event. */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
}

/** Serves the renderer on `app:` for the default session (call after `ready`). */
export function handleAppProtocol(protocol: Pick<Protocol, 'handle'>, rendererRoot: string): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(rendererRoot));
}
