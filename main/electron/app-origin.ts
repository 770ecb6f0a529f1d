/**
 * Where the renderer lives. Packaged and preview builds load it from the privileged `app://deckhand`
 * scheme (never file://, whose origin is shared by every file on disk); an unpackaged `npm run dev`
 * loads electron-vite's dev server on loopback so hot reload works.
 */

/** The custom scheme the renderer is served from. */
export const APP_SCHEME = 'app';

/** The only host the app scheme answers. */
export const APP_HOST = 'deckhand';

/** The renderer's origin; IPC trusts only frames from here (and the dev server in development). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** The page every window opens. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The origin of a URL, lower-cased, or null when it does not parse. WHATWG `URL.origin` is the
 * opaque "null" for non-special schemes such as `app:`, so it is computed from scheme and host.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!parsed.host) return null;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** Whether a URL belongs to one of the given origins. */
export function isTrustedOrigin(url: string, trustedOrigins: ReadonlySet<string>): boolean {
  const origin = originOf(url);
  return origin !== null && trustedOrigins.has(origin);
}

/** The page a window loads and the origins IPC and navigation trust. */
export interface RendererEntry {
  readonly url: string;
  readonly trustedOrigins: ReadonlySet<string>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Chooses the renderer entry. A packaged app always uses `app://deckhand`; an unpackaged one uses
 * electron-vite's dev server (ELECTRON_RENDERER_URL) only when it is plain http on loopback.
 */
export function resolveRendererEntry(isPackaged: boolean, env: NodeJS.ProcessEnv): RendererEntry {
  const devUrl = env['ELECTRON_RENDERER_URL'];
  if (!isPackaged && devUrl) {
    try {
      const parsed = new URL(devUrl);
      if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) {
        return { url: parsed.href, trustedOrigins: new Set([parsed.origin]) };
      }
    } catch {
      // An unparsable dev URL falls through to the packaged behaviour.
    }
  }
  return { url: APP_ENTRY_URL, trustedOrigins: new Set([APP_ORIGIN]) };
}
