import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  APP_ORIGIN,
  isTrustedOrigin,
  originOf,
  resolveRendererEntry,
} from '../../../../main/electron/app-origin';

describe('originOf', () => {
  it('computes an origin for the non-special app: scheme, where URL.origin is "null"', () => {
    expect(new URL('app://deckhand/index.html').origin).toBe('null');
    expect(originOf('app://deckhand/index.html')).toBe('app://deckhand');
    expect(originOf('app://DeckHand/x')).toBe('app://deckhand');
  });

  it('keeps ports and refuses what has no host', () => {
    expect(originOf('http://localhost:5173/')).toBe('http://localhost:5173');
    expect(originOf('file:///etc/passwd')).toBeNull();
    expect(originOf('javascript:alert(1)')).toBeNull();
    expect(originOf('not a url')).toBeNull();
  });

  it('trusts only listed origins, not look-alikes', () => {
    const trusted = new Set([APP_ORIGIN]);
    expect(isTrustedOrigin('app://deckhand/logs', trusted)).toBe(true);
    expect(isTrustedOrigin('app://deckhand.evil/logs', trusted)).toBe(false);
    expect(isTrustedOrigin('app://evil/deckhand', trusted)).toBe(false);
    expect(isTrustedOrigin('https://deckhand/', trusted)).toBe(false);
    expect(isTrustedOrigin('file:///index.html', trusted)).toBe(false);
  });
});

describe('resolveRendererEntry', () => {
  it('uses app://deckhand when packaged, even if a dev server URL is set', () => {
    const entry = resolveRendererEntry(true, { ELECTRON_RENDERER_URL: 'http://localhost:5173' });
    expect(entry.url).toBe(APP_ENTRY_URL);
    expect(entry.url).toBe('app://deckhand/index.html');
    expect([...entry.trustedOrigins]).toEqual(['app://deckhand']);
  });

  it('uses app://deckhand when unpackaged without a dev server (npm start)', () => {
    expect(resolveRendererEntry(false, {}).url).toBe('app://deckhand/index.html');
  });

  it('uses the dev server only on loopback http, and trusts only its origin', () => {
    const entry = resolveRendererEntry(false, { ELECTRON_RENDERER_URL: 'http://localhost:5173' });
    expect(entry.url).toBe('http://localhost:5173/');
    expect([...entry.trustedOrigins]).toEqual(['http://localhost:5173']);
    for (const url of ['http://192.168.1.10:5173', 'https://example.com', 'file:///tmp/index.html', '::']) {
      expect(resolveRendererEntry(false, { ELECTRON_RENDERER_URL: url }).url).toBe(
        'app://deckhand/index.html',
      );
    }
  });
});
