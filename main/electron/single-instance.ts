/**
 * One Deckhand per user: a second launch hands over to the first (which comes to the front) and
 * quits, so two windows never race on the same database and device ports.
 */
import type { App } from 'electron';

/** The window members needed to bring it to the front. */
export interface FocusableWindow {
  isMinimized(): boolean;
  restore(): void;
  focus(): void;
}

/**
 * Takes the single-instance lock. Returns false (after asking the app to quit) when another
 * instance holds it; otherwise focuses our window whenever a second launch is attempted.
 */
export function claimSingleInstance(
  app: Pick<App, 'requestSingleInstanceLock' | 'quit' | 'on'>,
  currentWindow: () => FocusableWindow | undefined,
): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', () => {
    const window = currentWindow();
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  return true;
}
