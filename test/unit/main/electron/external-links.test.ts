import { describe, expect, it, vi } from 'vitest';
import { DOCS_URL, isAllowedExternalUrl, openExternalSafely } from '../../../../main/electron/external-links';

describe('isAllowedExternalUrl', () => {
  it('allows https on an allowlisted host', () => {
    expect(isAllowedExternalUrl(DOCS_URL)).toBe(true);
    expect(isAllowedExternalUrl(new URL('/guide/deploy?x=1#y', DOCS_URL).href)).toBe(true);
  });

  it.each([
    ['http on the allowlisted host', DOCS_URL.replace('https:', 'http:')],
    ['another host', 'https://example.com/'],
    ['a look-alike subdomain', `https://evil.${new URL(DOCS_URL).hostname}/`],
    ['a look-alike suffix', `https://${new URL(DOCS_URL).hostname}.evil.com/`],
    ['credentials in the URL', `https://user:pw@${new URL(DOCS_URL).hostname}/`],
    ['a non-default port', `https://${new URL(DOCS_URL).hostname}:8443/`],
    ['javascript:', 'javascript:alert(1)'],
    ['file:', 'file:///etc/passwd'],
    ['a custom scheme', 'ms-msdt:/id PCWDiagnostic'],
    ['the app origin', 'app://deckhand/index.html'],
    ['garbage', 'not a url'],
  ])('refuses %s', (_label, url) => {
    expect(isAllowedExternalUrl(url)).toBe(false);
  });
});

describe('openExternalSafely', () => {
  it('hands only allowlisted URLs to the shell', () => {
    const shell = { openExternal: vi.fn(async () => {}) };
    expect(openExternalSafely(shell, 'file:///bin/sh')).toBe(false);
    expect(openExternalSafely(shell, 'http://example.com')).toBe(false);
    expect(shell.openExternal).not.toHaveBeenCalled();
    expect(openExternalSafely(shell, DOCS_URL)).toBe(true);
    expect(shell.openExternal).toHaveBeenCalledWith(DOCS_URL);
  });
});
