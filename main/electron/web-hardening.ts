/**
 * Locks a window's web contents and the session down: no new windows, no navigation away from the
 * app's origin, no <webview>, and no web permissions (camera, notifications, USB, serial…), because
 * Deckhand's renderer needs none of them and talks to devices only through the main process.
 */
import type { Session } from 'electron';
import { isTrustedOrigin } from './app-origin';

/** The part of an Electron event hardening needs. */
interface PreventableEvent {
  preventDefault(): void;
}

/** The web contents events and methods hardening uses; Electron's WebContents satisfies it, and so can a fake. */
export interface HardenableWebContents {
  setWindowOpenHandler(handler: (details: { readonly url: string }) => { action: 'deny' }): void;
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: PreventableEvent, url: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
}

/** What hardening needs to know: which origins are ours, and how to open an allowed link outside. */
export interface HardeningOptions {
  readonly trustedOrigins: ReadonlySet<string>;
  /** Opens the URL in the system browser if it is allowlisted; returns whether it did. */
  readonly openExternal: (url: string) => boolean;
}

/** Denies window.open (allowlisted links go to the system browser) and off-origin navigation. */
export function hardenWebContents(contents: HardenableWebContents, options: HardeningOptions): void {
  contents.setWindowOpenHandler(({ url }) => {
    options.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (isTrustedOrigin(url, options.trustedOrigins)) return;
    event.preventDefault();
    // A plain link to the docs is the one navigation a technician means to make: send it outside.
    options.openExternal(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedOrigin(url, options.trustedOrigins)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** The session handlers hardening installs (a subset, so tests can pass fakes). */
export type HardenableSession = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'
>;

/** Refuses every permission request and check, and every WebUSB/WebSerial/WebHID device grant. */
export function hardenSession(session: HardenableSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
