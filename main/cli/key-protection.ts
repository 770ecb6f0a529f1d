/** The CLI's technician-key protection: a passphrase file (`--passphrase-file` or DECKHAND_KEY_PASSPHRASE_FILE). */
import { createPassphraseProtector, readPassphraseFile, type KeyProtector } from '../services/technician-key';

/** The env var naming the passphrase file. */
export const PASSPHRASE_FILE_ENV = 'DECKHAND_KEY_PASSPHRASE_FILE';

/** A passphrase protector when a file is named, else null (commands that need the key say so). */
export function cliKeyProtector(flag: string | undefined, env: NodeJS.ProcessEnv): KeyProtector | null {
  const file = flag ?? env[PASSPHRASE_FILE_ENV];
  return file ? createPassphraseProtector(readPassphraseFile(file)) : null;
}
