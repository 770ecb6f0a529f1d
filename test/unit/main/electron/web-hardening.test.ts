import { describe, expect, it, vi } from 'vitest';
import { hardenSession, hardenWebContents } from '../../../../main/electron/web-hardening';
import { createFakeSession, FakeWebContents, preventableEvent } from './fake-electron';

const DOCS = 'https://docs.deckhand.example/guide';

function hardened() {
  const contents = new FakeWebContents();
  const openExternal = vi.fn((url: string) => url === DOCS);
  hardenWebContents(contents, { trustedOrigins: new Set(['app://deckhand']), openExternal });
  return { contents, openExternal };
}

describe('hardenWebContents', () => {
  it('denies every window.open, sending only the URL to the allowlist check', () => {
    const { contents, openExternal } = hardened();
    for (const url of ['https://example.com', 'app://deckhand/index.html', 'file:///etc/passwd', DOCS]) {
      expect(contents.windowOpenHandler?.({ url })).toEqual({ action: 'deny' });
    }
    expect(openExternal.mock.calls.map(([url]) => url)).toEqual([
      'https://example.com',
      'app://deckhand/index.html',
      'file:///etc/passwd',
      DOCS,
    ]);
  });

  it('prevents navigation off the app origin and allows it within', () => {
    const { contents } = hardened();
    for (const url of [
      'https://example.com/',
      'file:///etc/passwd',
      'app://evil/index.html',
      'javascript:alert(1)',
      'data:text/html,hi',
    ]) {
      const event = preventableEvent();
      contents.emit('will-navigate', event, url);
      expect(event.defaultPrevented, url).toBe(true);
    }
    const inside = preventableEvent();
    contents.emit('will-navigate', inside, 'app://deckhand/index.html#/logs');
    expect(inside.defaultPrevented).toBe(false);
  });

  it('prevents redirects off the app origin without opening anything', () => {
    const { contents, openExternal } = hardened();
    const event = preventableEvent();
    contents.emit('will-redirect', event, DOCS);
    expect(event.defaultPrevented).toBe(true);
    expect(openExternal).not.toHaveBeenCalled();
    const inside = preventableEvent();
    contents.emit('will-redirect', inside, 'app://deckhand/other.html');
    expect(inside.defaultPrevented).toBe(false);
  });

  it('prevents attaching a <webview>', () => {
    const { contents } = hardened();
    const event = preventableEvent();
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });
});

describe('hardenSession', () => {
  it('denies every permission request, check and device grant', () => {
    const session = createFakeSession();
    hardenSession(session as never);
    const requestHandler = session.setPermissionRequestHandler.mock.calls[0]?.[0] as (
      ...args: unknown[]
    ) => void;
    const checkHandler = session.setPermissionCheckHandler.mock.calls[0]?.[0] as (
      ...args: unknown[]
    ) => boolean;
    const deviceHandler = session.setDevicePermissionHandler.mock.calls[0]?.[0] as (
      ...args: unknown[]
    ) => boolean;
    for (const permission of [
      'media',
      'notifications',
      'geolocation',
      'clipboard-read',
      'openExternal',
      'usb',
      'serial',
      'hid',
    ]) {
      const callback = vi.fn();
      requestHandler({}, permission, callback, {});
      expect(callback, permission).toHaveBeenCalledWith(false);
      expect(checkHandler({}, permission, 'app://deckhand', {})).toBe(false);
    }
    expect(deviceHandler({ deviceType: 'usb', origin: 'app://deckhand' })).toBe(false);
  });
});
