/**
 * The DeviceConnector for `ssh://user@host:port?installer=rauc|mender|swupdate|copy`: opens an SSH
 * connection with the technician's key, checks the host key against the pin (first contact reports
 * the fingerprint for the technician to confirm) and returns an SshSession driving the named installer.
 */
import { readFile } from 'node:fs/promises';
import type { DeviceUri, SshInstaller } from '../../../core/device-uri/device-uri';
import { DeckhandError } from '../../../core/result';
import type { ConnectContext, DeviceConnector, DeviceSession } from '../../services/deploy/device-session';
import { createInstaller } from './installer-registry';
import { SshConnection, type SshCredentials } from './ssh-connection';
import { DEFAULT_SSH_SESSION_SETTINGS, SshSession, type SshSessionSettings } from './ssh-session';

/** How the connector authenticates and how its sessions behave. */
export interface SshConnectorOptions {
  /** Technician's OpenSSH private key file (e.g. ~/.ssh/id_ed25519 or a key in the data dir). */
  readonly privateKeyPath?: string;
  readonly passphrase?: string;
  /** ssh-agent socket; defaults to none (pass process.env.SSH_AUTH_SOCK to use the running agent). */
  readonly agentSocket?: string;
  /** Overrides of the session defaults (staging folder, reboot command, health command…). */
  readonly session?: Partial<SshSessionSettings>;
  /** Settings per installer, passed to its factory (e.g. `{ rauc: { command: 'rauc' } }`). */
  readonly installers?: Partial<Record<SshInstaller, Readonly<Record<string, unknown>>>>;
}

/**
 * Session settings from the environment, for a site whose devices need other commands than the
 * defaults (and for tests that stand in a simulated device): DECKHAND_SSH_STAGING_DIR,
 * DECKHAND_SSH_REBOOT_COMMAND, DECKHAND_SSH_REBOOT_WAIT (`new-boot`, the default, waits for a new boot
 * id; `reconnect` only for the SSH server to answer), DECKHAND_SSH_REBOOT_TIMEOUT_S,
 * DECKHAND_SSH_HEALTH_COMMAND, DECKHAND_SSH_HARDWARE_COMMAND, DECKHAND_SSH_SERIAL_COMMAND.
 */
export function sshSessionSettingsFromEnv(env: NodeJS.ProcessEnv): Partial<SshSessionSettings> {
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value;
  };
  const wait = text('DECKHAND_SSH_REBOOT_WAIT');
  if (wait !== undefined && wait !== 'new-boot' && wait !== 'reconnect')
    throw new DeckhandError('invalid_input', 'DECKHAND_SSH_REBOOT_WAIT must be "new-boot" or "reconnect".');
  const timeout = text('DECKHAND_SSH_REBOOT_TIMEOUT_S');
  if (timeout !== undefined && !(Number(timeout) > 0))
    throw new DeckhandError('invalid_input', 'DECKHAND_SSH_REBOOT_TIMEOUT_S must be a number of seconds.');
  const entries: [keyof SshSessionSettings, string | boolean | number | undefined][] = [
    ['stagingDir', text('DECKHAND_SSH_STAGING_DIR')],
    ['rebootCommand', text('DECKHAND_SSH_REBOOT_COMMAND')],
    ['waitForNewBoot', wait === undefined ? undefined : wait === 'new-boot'],
    ['rebootTimeoutMs', timeout === undefined ? undefined : Number(timeout) * 1000],
    ['healthCommand', text('DECKHAND_SSH_HEALTH_COMMAND')],
    ['hardwareCommand', text('DECKHAND_SSH_HARDWARE_COMMAND')],
    ['serialCommand', text('DECKHAND_SSH_SERIAL_COMMAND')],
  ];
  return Object.fromEntries(
    entries.filter(([, value]) => value !== undefined),
  ) as Partial<SshSessionSettings>;
}

/** Connects to devices over SSH. */
export class SshConnector implements DeviceConnector {
  readonly schemes = ['ssh'] as const;
  readonly #options: SshConnectorOptions;

  constructor(options: SshConnectorOptions) {
    this.#options = options;
  }

  async connect(uri: DeviceUri, context: ConnectContext): Promise<DeviceSession> {
    if (uri.scheme !== 'ssh')
      throw new DeckhandError('not_supported', `${uri.uri} is not an ssh:// address.`);
    const credentials = await this.#credentials();
    const endpoint = { host: uri.host, port: uri.port, user: uri.user };
    const connection = await SshConnection.open(endpoint, {
      credentials,
      pinnedFingerprint: context.pinnedFingerprint,
      ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    try {
      const sessionSettings = { ...DEFAULT_SSH_SESSION_SETTINGS, ...this.#options.session };
      const settings = this.#options.installers?.[uri.installer];
      const installer = createInstaller(uri.installer, {
        stagingDir: sessionSettings.stagingDir,
        ...(settings === undefined ? {} : { settings }),
      });
      // After a reboot the device must present the key this connection saw.
      const reconnect = (timeoutMs: number): Promise<SshConnection> =>
        SshConnection.open(endpoint, { credentials, pinnedFingerprint: connection.fingerprint, timeoutMs });
      return new SshSession(uri.uri, connection, installer, sessionSettings, reconnect);
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  async #credentials(): Promise<SshCredentials> {
    const { privateKeyPath, passphrase, agentSocket } = this.#options;
    let privateKey: Buffer | undefined;
    if (privateKeyPath !== undefined) {
      try {
        privateKey = await readFile(privateKeyPath);
      } catch (error) {
        if (agentSocket === undefined)
          throw new DeckhandError(
            'key_unavailable',
            `Deckhand cannot read the SSH key ${privateKeyPath} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Create one with ssh-keygen -t ed25519 or point Deckhand at yours.`,
          );
      }
    }
    return {
      ...(privateKey === undefined ? {} : { privateKey }),
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(agentSocket === undefined ? {} : { agentSocket }),
    };
  }
}
