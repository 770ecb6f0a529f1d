/**
 * One SSH connection to a device with ssh2: technician key (file and/or ssh-agent), the host key
 * checked against the pinned fingerprint before any credential is sent, a RemoteShell over exec
 * channels and an SFTP channel for uploads.
 */
import { createHash } from 'node:crypto';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { DeckhandError } from '../../../core/result';
import type { ExecOptions, ExecResult, RemoteShell } from './remote-shell';

/**
 * Ciphers in order of preference: AES-GCM runs on the CPU's AES instructions through Node's crypto,
 * while chacha20-poly1305 is pure JavaScript unless ssh2's optional native addon is built.
 */
const CIPHERS = [
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes256-ctr',
  'chacha20-poly1305@openssh.com',
] as const;

/** The OpenSSH-style fingerprint of a host key blob, `SHA256:` + unpadded base64 (as `ssh-keygen -lf` prints). */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Where and as whom to connect. */
export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  readonly user: string;
}

/** The technician's credentials and connection limits. */
export interface SshCredentials {
  /** OpenSSH private key (file contents). */
  readonly privateKey?: Buffer | string;
  readonly passphrase?: string;
  /** ssh-agent socket path (SSH_AUTH_SOCK). */
  readonly agentSocket?: string;
}

/** Options of one connection. */
export interface SshConnectOptions {
  readonly credentials: SshCredentials;
  /** Fingerprint pinned for this device, or null on first contact (any host key is accepted and reported). */
  readonly pinnedFingerprint: string | null;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A live SSH connection. */
export class SshConnection implements RemoteShell {
  readonly fingerprint: string;
  readonly #client: Client;
  readonly #endpoint: SshEndpoint;
  #closed = false;
  #sftp: Promise<SFTPWrapper> | null = null;

  private constructor(client: Client, endpoint: SshEndpoint, fingerprint: string) {
    this.#client = client;
    this.#endpoint = endpoint;
    this.fingerprint = fingerprint;
    client.on('close', () => {
      this.#closed = true;
    });
  }

  /** Connects, checks the host key against the pin and authenticates. */
  static async open(endpoint: SshEndpoint, options: SshConnectOptions): Promise<SshConnection> {
    const { credentials, pinnedFingerprint } = options;
    if (credentials.privateKey === undefined && credentials.agentSocket === undefined)
      throw new DeckhandError(
        'key_unavailable',
        'No SSH key is set up for reaching devices. Give Deckhand your technician key file (e.g. ~/.ssh/id_ed25519) or start ssh-agent.',
      );
    options.signal?.throwIfAborted();
    const client = new Client();
    let seen: string | null = null;
    const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      readyTimeout: options.timeoutMs ?? 20_000,
      keepaliveInterval: 10_000,
      keepaliveCountMax: 3,
      algorithms: { cipher: [...CIPHERS] },
      // Checked before authentication, so a device that changed its key never sees a signature.
      hostVerifier: (key: Buffer) => {
        seen = hostKeyFingerprint(key);
        return pinnedFingerprint === null || seen === pinnedFingerprint.trim().replace(/=+$/, '');
      },
      ...(credentials.privateKey === undefined ? {} : { privateKey: credentials.privateKey }),
      ...(credentials.passphrase === undefined ? {} : { passphrase: credentials.passphrase }),
      ...(credentials.agentSocket === undefined ? {} : { agent: credentials.agentSocket }),
    };
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        client.end();
        reject(new DeckhandError('cancelled', `Connecting to ${where} was cancelled.`));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('ready', () => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      client.once('error', (error: Error & { level?: string; code?: string }) => {
        options.signal?.removeEventListener('abort', onAbort);
        client.end();
        if (
          pinnedFingerprint !== null &&
          seen !== null &&
          seen !== pinnedFingerprint.trim().replace(/=+$/, '')
        ) {
          reject(
            new DeckhandError(
              'untrusted_device',
              `WARNING: the SSH host key of ${where} has CHANGED. Deckhand pinned ${pinnedFingerprint} but the device now presents ${seen}. ` +
                'Nothing was sent. This happens after a reflash of the device, or when another machine answers at this address. ' +
                'Check the key on the device (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before forgetting the old pin.',
              { pinned: pinnedFingerprint, presented: seen },
            ),
          );
          return;
        }
        reject(connectError(error, where));
      });
      try {
        client.connect(config);
      } catch (error) {
        reject(
          new DeckhandError(
            'key_unavailable',
            `Deckhand could not use the SSH key: ${(error as Error).message}. Check the key file (OpenSSH format) and its passphrase.`,
          ),
        );
      }
    });
    if (seen === null) throw new DeckhandError('protocol_error', `${where} sent no host key.`);
    // Nagle's algorithm holds back the short packets at SSH window and SFTP request boundaries
    // until an ACK arrives, which stalls a pipelined upload.
    client.setNoDelay(true);
    return new SshConnection(client, endpoint, seen);
  }

  /** True once the connection has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs a command on the device (OpenSSH exec request, run by the user's login shell). */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const where = `${this.#endpoint.host}:${this.#endpoint.port}`;
    return new Promise<ExecResult>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new DeckhandError('cancelled', `"${command}" on ${where} was cancelled.`));
        return;
      }
      this.#client.exec(command, (error, stream: ClientChannel) => {
        if (error) {
          reject(this.#lost(error, `could not start "${command}"`));
          return;
        }
        let stdout = '';
        let stderr = '';
        let settled = false;
        const finish = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          fn();
        };
        const timer =
          options.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                stream.close();
                finish(() =>
                  reject(
                    new DeckhandError(
                      'timeout',
                      `"${command}" on ${where} did not finish within ${Math.round(options.timeoutMs! / 1000)} s.`,
                    ),
                  ),
                );
              }, options.timeoutMs);
        const onAbort = (): void => {
          stream.close();
          finish(() => reject(new DeckhandError('cancelled', `"${command}" on ${where} was cancelled.`)));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.setEncoding('utf8');
        stream.stderr.setEncoding('utf8');
        stream.on('data', (text: string) => {
          stdout += text;
          options.onStdout?.(text);
        });
        stream.stderr.on('data', (text: string) => {
          stderr += text;
          options.onStderr?.(text);
        });
        stream.on('close', (code: number | null | undefined) => {
          if (this.#closed && code == null) {
            finish(() => reject(this.#lost(null, `the connection closed while "${command}" ran`)));
            return;
          }
          finish(() => resolve({ code: code ?? null, stdout, stderr }));
        });
      });
    });
  }

  /** The connection's SFTP channel (opened once). */
  sftp(): Promise<SFTPWrapper> {
    this.#sftp ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.#client.sftp((error, sftp) => {
        if (error) {
          this.#sftp = null;
          reject(
            new DeckhandError(
              'not_supported',
              `${this.#endpoint.host} offers no SFTP (${error.message}). Enable the sftp subsystem in its sshd_config.`,
            ),
          );
        } else resolve(sftp);
      });
    });
    return this.#sftp;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#client.once('close', () => resolve());
      this.#client.end();
      setTimeout(resolve, 2000).unref();
    });
  }

  #lost(error: Error | null, what: string): DeckhandError {
    return new DeckhandError(
      'link_lost',
      `The SSH connection to ${this.#endpoint.host}:${this.#endpoint.port} broke: ${what}${error ? ` (${error.message})` : ''}. Check the cable or network and try again.`,
    );
  }
}

function connectError(error: Error & { level?: string; code?: string }, where: string): DeckhandError {
  if (error.level === 'client-authentication')
    return new DeckhandError(
      'unauthorized',
      `${where} refused the technician key. Add your public key to the device's authorized_keys for this user.`,
    );
  if (error.level === 'client-timeout')
    return new DeckhandError(
      'timeout',
      `${where} did not complete the SSH handshake in time. Is SSH running on the device?`,
    );
  if (error.code === 'ECONNREFUSED')
    return new DeckhandError(
      'link_lost',
      `${where} refused the connection: no SSH server listens on that port.`,
    );
  if (error.code === 'ETIMEDOUT' || error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH')
    return new DeckhandError(
      'link_lost',
      `${where} cannot be reached (${error.code}). Check the network and address.`,
    );
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
    return new DeckhandError('link_lost', `The device name in ${where} does not resolve. Check the address.`);
  return new DeckhandError('link_lost', `SSH to ${where} failed: ${error.message}.`);
}
