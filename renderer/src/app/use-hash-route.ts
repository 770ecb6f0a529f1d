/** Hash routing: `#/logs` opens the Logs screen, so a URL (or an end-to-end test) can open any screen. */
import { useEffect, useSyncExternalStore } from 'react';
import { DEFAULT_SCREEN, hashFor, screenFromHash, type ScreenId } from './screens';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The screen the current hash names; an empty or unknown hash opens the default screen. */
export function useHashRoute(): ScreenId {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const screen = screenFromHash(hash);
  useEffect(() => {
    // Rewrite a missing or unknown hash in place, so the address bar names the screen on view
    // without adding a history entry the Back button would bounce on.
    if (screen === null) window.history.replaceState(null, '', hashFor(DEFAULT_SCREEN));
  }, [screen]);
  return screen ?? DEFAULT_SCREEN;
}
