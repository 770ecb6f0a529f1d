/**
 * A throwaway OpenSSH server for tests and `deckhand bench ssh`: Debian's /usr/sbin/sshd as a child
 * process on 127.0.0.1 with a free port, its own host key, a client key and authorized_keys in a
 * temporary folder. Never for real devices; it exists so the SSH adapter meets a real server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { DeckhandError } from '../../../core/result';

/** Where Debian installs the server. */
export const SSHD_BIN = '/usr/sbin/sshd';

/** Options of the dev server. */
export interface DevSshdOptions {
  /** Folder for keys and config (created; removed by stop() when `removeDir` is true). */
  readonly dir: string;
  /** Environment variables every session gets (sshd_config SetEnv), e.g. a private D-Bus address. */
  readonly setEnv?: Readonly<Record<string, string>>;
  readonly removeDir?: boolean;
}

/** A running server. */
export interface DevSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  /** Path of the client's private key (OpenSSH format, no passphrase). */
  readonly clientKeyPath: string;
  /** Fingerprint of the current host key, as `ssh-keygen -lf` prints it. */
  hostFingerprint(): string;
  /** An ssh:// address for this server. */
  uri(installer: string): string;
  /** Replaces the host key and restarts on the same port (a "reflashed" device, or an impostor). */
  changeHostKey(): Promise<void>;
  /** Stops the server (the device goes down); `start()` brings it back with the same key and port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (and removes the folder when asked). */
  stop(): Promise<void>;
}

/** True when the OpenSSH server and ssh-keygen are installed. */
export function hasSshd(): boolean {
  return existsSync(SSHD_BIN) && existsSync('/usr/bin/ssh-keygen');
}

/** Starts the server and waits until it listens. */
export async function startDevSshd(options: DevSshdOptions): Promise<DevSshd> {
  if (!hasSshd())
    throw new DeckhandError(
      'not_found',
      'The OpenSSH server is not installed (apt-get install openssh-server).',
    );
  const dir = options.dir;
  mkdirSync(dir, { recursive: true });
  // sshd insists on its privilege-separation folder even when it never drops privileges here.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'client_ed25519');
  const newHostKey = (): void => keygen(hostKey, 'deckhand-dev-sshd');
  newHostKey();
  keygen(clientKeyPath, 'deckhand-technician');
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`), { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PidFile none',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PrintMotd no',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      'LogLevel ERROR',
      // HOME in the server's folder: the login shell (bash) sources ~/.bashrc for commands run over
      // SSH, and a developer's .bashrc (pyenv, nvm…) can cost seconds per command.
      // One SetEnv line: sshd takes only the first SetEnv directive.
      `SetEnv ${Object.entries({ HOME: dir, ...options.setEnv })
        .map(([name, value]) => `"${name}=${value}"`)
        .join(' ')}`,
      '',
    ].join('\n'),
  );
  let child = await launch(config, port);
  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    clientKeyPath,
    hostFingerprint: () => fingerprintOf(`${hostKey}.pub`),
    uri: (installer) =>
      `ssh://${encodeURIComponent(userInfo().username)}@127.0.0.1:${port}?installer=${installer}`,
    async changeHostKey() {
      await stopChild(child);
      newHostKey();
      child = await launch(config, port);
    },
    async halt() {
      await stopChild(child);
    },
    async start() {
      if (child.exitCode === null && child.signalCode === null) return;
      child = await launch(config, port);
    },
    async stop() {
      await stopChild(child);
      if (options.removeDir === true) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The OpenSSH fingerprint of a public key file (`SHA256:…`). */
export function fingerprintOf(publicKeyPath: string): string {
  const line = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyPath], { encoding: 'utf8' });
  const match = /(SHA256:[A-Za-z0-9+/]+)/.exec(line);
  if (match === null) throw new DeckhandError('internal', `ssh-keygen printed no fingerprint: ${line}`);
  return match[1]!;
}

function keygen(path: string, comment: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.pub`, { force: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], {
    stdio: 'ignore',
  });
}

async function launch(config: string, port: number): Promise<ChildProcess> {
  const child = spawn(SSHD_BIN, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-4000);
  });
  // LogLevel ERROR keeps sshd quiet, so readiness is probed on the port.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new DeckhandError('internal', `sshd exited with ${child.exitCode}: ${stderr.trim()}`);
    if (await answers(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new DeckhandError('timeout', `sshd did not listen on port ${port} within 10 s: ${stderr.trim()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    // sshd speaks first (its version line): data means it is ready.
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
