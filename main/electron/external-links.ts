/**
 * The only way Deckhand opens anything outside itself: https links to a short allowlist of hosts,
 * handed to the system browser. Everything else (http, file:, javascript:, custom schemes, other
 * hosts) is refused, because shell.openExternal on an attacker-chosen URL can launch local programs.
 */
import type { Shell } from 'electron';

/** The documentation site. A placeholder on a reserved domain until the docs are published. */
export const DOCS_URL = 'https://docs.deckhand.example/';

/** Hosts whose https pages may open in the system browser. Exact matches only, no subdomains. */
export const EXTERNAL_HOST_ALLOWLIST: ReadonlySet<string> = new Set([new URL(DOCS_URL).hostname]);

/** Whether a URL may be opened in the system browser. */
export function isAllowedExternalUrl(
  url: string,
  allowlist: ReadonlySet<string> = EXTERNAL_HOST_ALLOWLIST,
): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    allowlist.has(parsed.hostname.toLowerCase())
  );
}

/** Opens an allowlisted URL in the system browser; returns whether it did. */
export function openExternalSafely(shell: Pick<Shell, 'openExternal'>, url: string): boolean {
  if (!isAllowedExternalUrl(url)) return false;
  shell
    .openExternal(url)
    .catch((error: unknown) => console.error('deckhand: could not open external link', error));
  return true;
}
