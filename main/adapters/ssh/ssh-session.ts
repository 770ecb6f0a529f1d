/**
 * A DeviceSession over SSH: SFTP upload (resumable, checked with the device's own sha256sum) into a
 * staging folder, then the device's updater through an UpdaterInstaller; reboot waits until the device
 * answers again with the same host key (and, by default, a new boot id).
 */
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';
import type {
  Capability,
  DeployTarget,
  DeviceSession,
  DeviceSnapshot,
  StepOutcome,
} from '../../services/deploy/device-session';
import { shellQuote } from './remote-shell';
import { DEFAULT_CHUNK_SIZE, resumeOffset, sftpSize, sftpUpload } from './sftp-upload';
import type { SshConnection } from './ssh-connection';
import { installText, type UpdaterInstaller } from './updater-installer';

/** How a session behaves on the device; every field has a default (DEFAULT_SSH_SESSION_SETTINGS). */
export interface SshSessionSettings {
  /** Remote folder for uploads. */
  readonly stagingDir: string;
  /** Command that reboots the device. */
  readonly rebootCommand: string;
  /** Wait for a new boot id after the reboot command (false for a no-op reboot, e.g. RAUC's noop bootloader in tests). */
  readonly waitForNewBoot: boolean;
  /** Prints an id that changes with every boot (checked before and after the reboot). */
  readonly bootIdCommand: string;
  /** How long the device may take to answer again after a reboot. */
  readonly rebootTimeoutMs: number;
  /** Health command when the target names none and the installer has no check of its own. */
  readonly healthCommand: string;
  readonly healthTimeoutMs: number;
  /**
   * Prints the device's hardware model when the updater does not name one (Deckhand never guesses:
   * the planner refuses a device with unknown hardware).
   */
  readonly hardwareCommand: string;
  /** Prints the device's serial number. */
  readonly serialCommand: string;
  /** SFTP WRITE size and requests in flight. */
  readonly chunkSize: number;
  readonly concurrency: number;
}

/** Defaults for a real device. */
export const DEFAULT_SSH_SESSION_SETTINGS: SshSessionSettings = {
  stagingDir: '/var/tmp/deckhand',
  rebootCommand: 'reboot',
  waitForNewBoot: true,
  bootIdCommand: 'cat /proc/sys/kernel/random/boot_id',
  rebootTimeoutMs: 5 * 60_000,
  healthCommand: 'true',
  healthTimeoutMs: 120_000,
  hardwareCommand: 'cat /etc/deckhand/hardware 2>/dev/null',
  serialCommand:
    'cat /etc/deckhand/serial-number 2>/dev/null || tr -d "\\000" < /proc/device-tree/serial-number 2>/dev/null',
  chunkSize: DEFAULT_CHUNK_SIZE,
  concurrency: 64,
};

/** Remote hashing runs at tens of MB/s on small devices; never less than a minute. */
const hashTimeoutMs = (length: number): number => Math.max(60_000, Math.ceil(length / 10_000_000) * 1000);

/** The staged path of a target on the device: the sha256 keeps versions apart, the name keeps the extension. */
export function remotePathFor(stagingDir: string, target: Pick<DeployTarget, 'path' | 'sha256'>): string {
  const name = basename(target.path).replace(/[^A-Za-z0-9._-]/g, '_');
  return `${stagingDir.replace(/\/+$/, '')}/${target.sha256.slice(0, 16)}-${name}`;
}

/** The session; created by SshConnector. */
export class SshSession implements DeviceSession {
  readonly uri: string;
  readonly capabilities: ReadonlySet<Capability>;
  #connection: SshConnection;
  readonly #installer: UpdaterInstaller;
  readonly #settings: SshSessionSettings;
  readonly #reconnect: (timeoutMs: number) => Promise<SshConnection>;

  constructor(
    uri: string,
    connection: SshConnection,
    installer: UpdaterInstaller,
    settings: SshSessionSettings,
    reconnect: (timeoutMs: number) => Promise<SshConnection>,
  ) {
    this.uri = uri;
    this.#connection = connection;
    this.#installer = installer;
    this.#settings = settings;
    this.#reconnect = reconnect;
    this.capabilities = new Set<Capability>(['upload', 'resume', 'verify', ...installer.capabilities]);
  }

  /** The pinned-or-seen SSH host key fingerprint. */
  get fingerprint(): string {
    return this.#connection.fingerprint;
  }

  /** The shell of the current connection (changes after a reboot). */
  get shell(): SshConnection {
    return this.#connection;
  }

  async snapshot(): Promise<DeviceSnapshot> {
    const installed = await this.#installer.snapshot(this.#connection);
    return {
      hardware: installed.hardware ?? (await this.#firstLine(this.#settings.hardwareCommand)),
      serialNumber: installed.serialNumber ?? (await this.#firstLine(this.#settings.serialCommand)),
      freeBytes: await this.#freeBytes(),
      counter: null,
      releases: installed.releases,
      models: [],
      trial: installed.trial,
    };
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    const finalPath = remotePathFor(this.#settings.stagingDir, target);
    const partPath = `${finalPath}.part`;
    // Partial uploads of other targets (abandoned deploys) would otherwise fill the device.
    const dir = shellQuote(this.#settings.stagingDir);
    await this.#run(
      `mkdir -p ${dir} && for f in ${dir}/*.part; do [ "$f" = ${shellQuote(partPath)} ] || rm -f "$f"; done`,
      'create the staging folder',
    );
    const sftp = await this.#connection.sftp();
    // Idempotent: a previous session may have finished the upload before the link dropped.
    if (
      (await sftpSize(sftp, finalPath)) === target.length &&
      (await this.#sha256(finalPath, target.length)) === target.sha256
    ) {
      meter.advance(target.length);
      return;
    }
    const partial = await sftpSize(sftp, partPath);
    let offset = 0;
    if (partial !== null && partial >= target.length) {
      if (partial === target.length && (await this.#sha256(partPath, target.length)) === target.sha256) {
        await this.#run(`mv -f ${shellQuote(partPath)} ${shellQuote(finalPath)}`, 'finish the upload');
        meter.advance(target.length);
        return;
      }
    } else if (partial !== null)
      offset = resumeOffset(partial, this.#settings.concurrency * this.#settings.chunkSize);
    if (offset > 0) meter.advance(offset);
    await sftpUpload(sftp, target.filePath, partPath, offset, target.length, {
      chunkSize: this.#settings.chunkSize,
      concurrency: this.#settings.concurrency,
      onBytes: (bytes) => meter.advance(bytes),
      signal,
    });
    const actual = await this.#sha256(partPath, target.length);
    if (actual !== target.sha256) {
      await this.#connection.exec(`rm -f ${shellQuote(partPath)}`);
      throw new DeckhandError(
        'hash_mismatch',
        `The copy of ${target.name} ${target.version} on the device does not match HQ's hash (device ${actual}, expected ${target.sha256}). ` +
          'It was deleted; deploy again (if it repeats, check the device storage).',
      );
    }
    await this.#run(`mv -f ${shellQuote(partPath)} ${shellQuote(finalPath)}`, 'finish the upload');
  }

  async verify(target: DeployTarget): Promise<StepOutcome> {
    const path = remotePathFor(this.#settings.stagingDir, target);
    const actual = await this.#sha256(path, target.length);
    if (actual !== target.sha256)
      throw new DeckhandError(
        'hash_mismatch',
        `${path} on the device does not match HQ's hash (device ${actual ?? 'no file'}, expected ${target.sha256}). Upload it again.`,
      );
    return { receipt: null, detail: `device sha256sum of ${path} matches` };
  }

  async install(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<StepOutcome> {
    this.#require('install');
    const path = remotePathFor(this.#settings.stagingDir, target);
    let reported = 0;
    return this.#installer.install(
      this.#connection,
      path,
      target,
      (percent) => {
        // The meter counts bytes: the updater's percentage is mapped onto the target's length.
        const bytes = Math.round((Math.min(100, Math.max(0, percent)) / 100) * target.length);
        if (bytes > reported) {
          meter.advance(bytes - reported);
          reported = bytes;
        }
      },
      signal,
    );
  }

  async reboot(signal: AbortSignal): Promise<StepOutcome> {
    this.#require('reboot');
    const started = performance.now();
    const before = this.#settings.waitForNewBoot ? await this.#bootId(this.#connection) : null;
    try {
      const result = await this.#connection.exec(this.#settings.rebootCommand, { timeoutMs: 15_000, signal });
      if (result.code !== null && result.code !== 0)
        throw new DeckhandError(
          'invalid_state',
          `The device refused to reboot ("${this.#settings.rebootCommand}" exited with ${result.code}: ${lastLine(result.stderr)}).`,
        );
    } catch (error) {
      // A rebooting device drops the connection before the command returns: that is success.
      if (!(error instanceof DeckhandError) || (error.code !== 'link_lost' && error.code !== 'timeout'))
        throw error;
    }
    await this.#connection.close();
    const deadline = started + this.#settings.rebootTimeoutMs;
    let lastError: unknown = null;
    while (performance.now() < deadline) {
      signal.throwIfAborted();
      if (this.#settings.waitForNewBoot) await sleep(2000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted)
        throw new DeckhandError('cancelled', 'Waiting for the device to reboot was cancelled.');
      try {
        const connection = await this.#reconnect(
          Math.min(15_000, Math.max(1000, deadline - performance.now())),
        );
        const after = this.#settings.waitForNewBoot ? await this.#bootId(connection) : null;
        if (before !== null && after !== null && after === before) {
          // Still the old boot: the device has not gone down yet.
          await connection.close();
          continue;
        }
        this.#connection = connection;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        return {
          receipt: null,
          detail: `device answered again after ${seconds} s${after ? ` (boot ${after})` : ''}`,
        };
      } catch (error) {
        if (
          error instanceof DeckhandError &&
          (error.code === 'untrusted_device' || error.code === 'unauthorized')
        )
          throw error;
        lastError = error;
        if (!this.#settings.waitForNewBoot) await sleep(500);
      }
    }
    throw new DeckhandError(
      'timeout',
      `The device did not answer over SSH within ${Math.round(this.#settings.rebootTimeoutMs / 1000)} s of the reboot` +
        `${lastError instanceof Error ? ` (last: ${lastError.message})` : ''}. Check it on the serial console; the updater falls back to the old release if the new one does not boot.`,
    );
  }

  async health(target: DeployTarget): Promise<{ readonly healthy: boolean; readonly detail: string }> {
    const command = installText(target, 'health');
    if (command === null && this.#installer.health !== undefined)
      return this.#installer.health(this.#connection, target);
    const run = command ?? this.#settings.healthCommand;
    const result = await this.#connection.exec(run, { timeoutMs: this.#settings.healthTimeoutMs });
    const output = lastLine(result.stdout) || lastLine(result.stderr);
    return result.code === 0
      ? { healthy: true, detail: `"${run}" passed${output ? `: ${output}` : ''}` }
      : {
          healthy: false,
          detail: `"${run}" exited with ${result.code ?? 'a signal'}${output ? `: ${output}` : ''}`,
        };
  }

  async commit(target: DeployTarget): Promise<StepOutcome> {
    this.#require('commit');
    const outcome = await this.#installer.commit(this.#connection, target);
    // The staged artifact has done its job; it may be as big as the device's free space.
    await this.#connection.exec(`rm -f ${shellQuote(remotePathFor(this.#settings.stagingDir, target))}`, {
      timeoutMs: 60_000,
    });
    return outcome;
  }

  async rollback(reason: string): Promise<StepOutcome> {
    this.#require('rollback');
    const outcome = await this.#installer.rollback(this.#connection, reason);
    // An updater that boots slots (rauc, mender, swupdate) returns to the old release by rebooting.
    if (!this.capabilities.has('reboot')) return outcome;
    const rebooted = await this.reboot(new AbortController().signal);
    return { receipt: outcome.receipt, detail: `${outcome.detail}; ${rebooted.detail}` };
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  #require(capability: Capability): void {
    if (!this.capabilities.has(capability))
      throw new DeckhandError(
        'not_supported',
        `The ${this.#installer.name} installer over SSH cannot ${capability}.`,
      );
  }

  async #run(command: string, what: string): Promise<string> {
    const result = await this.#connection.exec(command, { timeoutMs: 60_000 });
    if (result.code !== 0)
      throw new DeckhandError(
        'invalid_state',
        `The device could not ${what} ("${command}" exited with ${result.code ?? 'a signal'}: ${lastLine(result.stderr)}).`,
      );
    return result.stdout;
  }

  /** The device's own sha256 of a file, or null when the file is missing. */
  async #sha256(path: string, length = 1 << 30): Promise<string | null> {
    const quoted = shellQuote(path);
    const result = await this.#connection.exec(
      `if [ -f ${quoted} ]; then sha256sum ${quoted} 2>/dev/null || openssl dgst -sha256 -r ${quoted}; else echo missing; fi`,
      { timeoutMs: hashTimeoutMs(length) },
    );
    if (result.stdout.startsWith('missing')) return null;
    const match = /^([0-9a-f]{64})\b/i.exec(result.stdout.trim());
    if (result.code !== 0 || match === null)
      throw new DeckhandError(
        'not_supported',
        `The device cannot compute a sha256 (neither sha256sum nor openssl worked: ${lastLine(result.stderr)}).`,
      );
    return match[1]!.toLowerCase();
  }

  async #bootId(connection: SshConnection): Promise<string | null> {
    const result = await connection.exec(this.#settings.bootIdCommand, { timeoutMs: 10_000 });
    return result.code === 0 && result.stdout.trim() !== '' ? result.stdout.trim() : null;
  }

  async #firstLine(command: string): Promise<string | null> {
    if (command.trim() === '') return null;
    const result = await this.#connection.exec(command, { timeoutMs: 10_000 });
    const line = result.stdout.trim().split('\n')[0]?.trim() ?? '';
    return result.code === 0 && line !== '' ? line : null;
  }

  async #freeBytes(): Promise<number | null> {
    const dir = shellQuote(this.#settings.stagingDir);
    const result = await this.#connection.exec(`mkdir -p ${dir} 2>/dev/null; df -Pk ${dir}`, {
      timeoutMs: 10_000,
    });
    const fields = result.stdout.trim().split('\n').at(-1)?.split(/\s+/) ?? [];
    const available = Number(fields[3]);
    return result.code === 0 && Number.isFinite(available) ? available * 1024 : null;
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? '';
}
