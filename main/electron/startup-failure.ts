/** What the technician reads when Deckhand cannot start, written for them and not for a developer. */
import { DeckhandError } from '../../core/result';

/** A title and message for `dialog.showErrorBox`. */
export interface StartupFailure {
  readonly title: string;
  readonly message: string;
}

/** Turns a startup exception into a dialog; coded errors keep their own technician-facing message. */
export function startupFailure(thrown: unknown, dataDir: string): StartupFailure {
  const title = 'Deckhand cannot start';
  if (thrown instanceof DeckhandError)
    return { title, message: `${thrown.message}\n\nData folder: ${dataDir}` };
  return {
    title,
    message:
      `Deckhand could not open its data folder:\n${dataDir}\n\n` +
      'Check that the folder exists and that you may write to it, then start Deckhand again. ' +
      'If this keeps happening, report it together with the application log.',
  };
}

/** The message when an unpackaged checkout lacks the Electron build of better-sqlite3. */
export function missingNativeBindingFailure(bindingPath: string): StartupFailure {
  return {
    title: 'Deckhand cannot start',
    message:
      `The database module built for Electron is missing:\n${bindingPath}\n\n` +
      'Run "npm start" or "npm run dev" (they run scripts/prepare-electron-native.mjs first) while online once.',
  };
}
