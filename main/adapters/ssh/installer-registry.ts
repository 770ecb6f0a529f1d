/**
 * Which UpdaterInstaller serves each `?installer=` of an ssh:// address. Each installer module
 * registers its factory here; the SSH connector looks the name up when a session opens.
 */
import { DeckhandError } from '../../../core/result';
import type { SshInstaller } from '../../../core/device-uri/device-uri';
import { createCopyInstaller } from './copy-installer';
import { createMenderInstaller } from './mender-installer';
import { createRaucInstaller } from './rauc-installer';
import { createSwupdateInstaller } from './swupdate-installer';
import type { InstallerFactory, InstallerOptions, UpdaterInstaller } from './updater-installer';

/** Every installer by name. */
export const INSTALLER_FACTORIES: Readonly<Record<SshInstaller, InstallerFactory>> = {
  rauc: createRaucInstaller,
  mender: createMenderInstaller,
  swupdate: createSwupdateInstaller,
  copy: createCopyInstaller,
};

/** Creates the installer an ssh:// address names. */
export function createInstaller(name: SshInstaller, options: InstallerOptions = {}): UpdaterInstaller {
  const factory = INSTALLER_FACTORIES[name] as InstallerFactory | undefined;
  if (factory === undefined)
    throw new DeckhandError('not_supported', `Deckhand has no "${name}" installer for SSH devices.`);
  return factory(options);
}
