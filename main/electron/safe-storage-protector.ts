/**
 * Protects the technician key with Electron's safeStorage (the OS keychain: Keychain, DPAPI,
 * libsecret/kwallet). Takes a getter so that nothing touches safeStorage before the app is ready.
 */
import type { SafeStorage } from 'electron';
import { DeckhandError } from '../../core/result';
import type { KeyProtector } from '../services/technician-key';

/** The part of safeStorage used here. */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;

/** A KeyProtector over safeStorage, or null when the platform offers no encryption. */
export function createSafeStorageProtector(getSafeStorage: () => SafeStorageLike): KeyProtector | null {
  const storage = getSafeStorage();
  if (!storage.isEncryptionAvailable()) return null;
  return {
    kind: 'safe-storage',
    protect: (plain) => storage.encryptString(plain.toString('base64')),
    unprotect: (data) => {
      if (!storage.isEncryptionAvailable())
        throw new DeckhandError('key_unavailable', 'The system keychain is not available right now.');
      return Buffer.from(storage.decryptString(data), 'base64');
    },
  };
}
