/**
 * Mender over SSH, standalone mode: `mender install FILE`, then `mender commit` or `mender rollback`
 * (Mender 3, Debian's mender-client 3.4), or the same verbs of `mender-update` where the device has
 * Mender 4. Mender checks the artifact itself (device type, and its signature when the device has a
 * verification key); Deckhand reads its verdict, its progress bar and what it reports installed.
 *
 * Mender 3 has no command that says an update waits for commit: while one does, the update-module
 * work tree holds the pending artifact's header (`<data>/modules/v3/payloads/0000/tree/header/
 * artifact_name`), which is what `snapshot` reads. A full-rootfs update on a dual-rootfs device
 * waits for a reboot before commit; the session reboots when the target asks for it.
 */
import { DeckhandError, type ErrorCode } from '../../../core/result';
import type { InstalledItem, StepOutcome } from '../../services/deploy/device-session';
import { shellQuote, type RemoteShell } from './remote-shell';
import type {
  InstallerFactory,
  InstallerOptions,
  InstallerSnapshot,
  UpdaterInstaller,
} from './updater-installer';

/**
 * Mender's state folder on a device, unless the connector says otherwise: $MENDER_DATA_DIR when the
 * device's login environment sets it (a client started with `-d DIR`), else /var/lib/mender.
 */
export const DEFAULT_MENDER_DATA_DIR = '/var/lib/mender';
const DEFAULT_DATA_DIR_WORD = `"\${MENDER_DATA_DIR:-${DEFAULT_MENDER_DATA_DIR}}"`;

/** Which Mender command line a device has. */
export type MenderCli = 'mender' | 'mender-update';

/**
 * Mender 3 draws its progress as a row of dots under a 69-column ruler
 * (`0%  50%  100%` / `|----|----|`); each dot is 1/69 of the artifact read.
 */
export class MenderProgress {
  static readonly RULER_COLUMNS = 69;
  readonly #onPercent: (percent: number) => void;
  #afterRuler = false;
  #dots = 0;
  #pending = '';
  #percent = 0;

  constructor(onPercent: (percent: number) => void) {
    this.#onPercent = onPercent;
  }

  /** Feeds a chunk of Mender's output (the dots arrive without line breaks, between log lines). */
  push(chunk: string): void {
    if (!this.#afterRuler) {
      this.#pending += chunk;
      const ruler = /\|-+\|-+\|/.exec(this.#pending);
      if (ruler === null) {
        this.#pending = this.#pending.slice(-200);
        return;
      }
      this.#afterRuler = true;
      chunk = this.#pending.slice(ruler.index + ruler[0].length);
      this.#pending = '';
    }
    // Log lines interleave with the dots: count only dots outside them.
    const withoutLogs = chunk.replace(/time="[^"]*" level=\w+ msg="(?:[^"\\]|\\.)*"/g, '');
    this.#dots += (withoutLogs.match(/\./g) ?? []).length;
    const percent = Math.min(99, Math.floor((this.#dots * 100) / MenderProgress.RULER_COLUMNS));
    if (percent > this.#percent) {
      this.#percent = percent;
      this.#onPercent(percent);
    }
  }
}

/** Mender's error lines (`level=error msg="…"`), unquoted. */
export function menderErrors(output: string): string[] {
  const errors: string[] = [];
  for (const match of output.matchAll(/level=(?:error|fatal|panic) msg="((?:[^"\\]|\\.)*)"/g))
    errors.push((match[1] ?? '').replace(/\\"/g, '"').replace(/\\\\/g, '\\'));
  return errors;
}

/** Which code a failed install deserves, from Mender's error lines. */
export function menderErrorCode(errors: readonly string[]): ErrorCode {
  const text = errors.join('\n');
  if (/signature|verification|verify/i.test(text)) return 'bad_signature';
  if (/not compatible|device type|device_type|depends/i.test(text)) return 'incompatible_hardware';
  if (/checksum|hash|corrupt|invalid|unexpected EOF|tar/i.test(text)) return 'bad_target';
  if (/already installed|in progress|update.*pending/i.test(text)) return 'invalid_state';
  return 'invalid_state';
}

/**
 * Splits a Mender artifact name into a release name and version: `edge-app-2.4.0` → edge-app 2.4.0
 * (HQ names artifacts NAME-VERSION). A name without a version part is both.
 */
export function releaseOfArtifact(artifactName: string): { readonly name: string; readonly version: string } {
  const match = /^(.+?)[-_ ]v?(\d[\w.+~-]*)$/.exec(artifactName);
  return match === null
    ? { name: artifactName, version: artifactName }
    : { name: match[1]!, version: match[2]! };
}

function stringSetting(settings: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = settings[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Creates the Mender installer. Settings: `cli` ('mender' | 'mender-update'), `dataDir`, `reboot`
 * (false: the devices take only update-module artifacts that need no reboot).
 */
export const createMenderInstaller: InstallerFactory = (options: InstallerOptions): UpdaterInstaller => {
  const settings = options.settings ?? {};
  const configuredDataDir = stringSetting(settings, 'dataDir');
  // A shell word: expanded on the device unless the connector named the folder.
  const dataDir = configuredDataDir === null ? DEFAULT_DATA_DIR_WORD : shellQuote(configuredDataDir);
  const configured = stringSetting(settings, 'cli');
  let detected: MenderCli | null =
    configured === 'mender' || configured === 'mender-update' ? configured : null;

  const cli = async (shell: RemoteShell): Promise<MenderCli> => {
    if (detected !== null) return detected;
    const found = await shell.exec('command -v mender-update || command -v mender', { timeoutMs: 30_000 });
    const path = found.stdout.trim().split('\n')[0] ?? '';
    if (found.code !== 0 || path === '')
      throw new DeckhandError(
        'not_supported',
        'The device has neither mender-update (Mender 4) nor mender (Mender 3). Install the Mender client on it, or deploy with another installer.',
      );
    detected = path.endsWith('mender-update') ? 'mender-update' : 'mender';
    return detected;
  };

  const pendingFile = `${dataDir}/modules/v3/payloads/0000/tree/header/artifact_name`;

  const deviceTypeFile = `${dataDir}/device_type`;

  const readState = async (
    shell: RemoteShell,
  ): Promise<{ current: string | null; pending: string | null; deviceType: string | null }> => {
    const command = await cli(shell);
    const result = await shell.exec(
      `${command} show-artifact 2>/dev/null; echo '@@deckhand@@'; cat ${pendingFile} 2>/dev/null; echo '@@deckhand@@'; cat ${deviceTypeFile} 2>/dev/null; true`,
      { timeoutMs: 60_000 },
    );
    const [before = '', pendingText = '', deviceTypeText = ''] = result.stdout.split('@@deckhand@@');
    const current = before.trim().split('\n').at(-1)?.trim() ?? '';
    const pending = pendingText.trim();
    const deviceType = /^device_type=(.+)$/m.exec(deviceTypeText)?.[1]?.trim() ?? '';
    return {
      current: current === '' || current === 'unknown' ? null : current,
      pending: pending === '' ? null : pending,
      deviceType: deviceType === '' ? null : deviceType,
    };
  };

  return {
    name: 'mender',
    // A rootfs artifact runs only after a reboot; an update-module fleet can drop it (`reboot: false`).
    capabilities:
      settings['reboot'] === false
        ? ['install', 'health', 'commit', 'rollback']
        : ['install', 'reboot', 'health', 'commit', 'rollback'],

    async snapshot(shell: RemoteShell): Promise<InstallerSnapshot> {
      const state = await readState(shell);
      const releases: InstalledItem[] = [];
      if (state.current !== null)
        releases.push({ ...releaseOfArtifact(state.current), sha256: null, state: 'active' });
      if (state.pending !== null && state.pending !== state.current)
        releases.push({ ...releaseOfArtifact(state.pending), sha256: null, state: 'trial' });
      // Mender's device_type is the hardware HQ names in a target's `hardware` list.
      return { releases, trial: state.pending !== null, hardware: state.deviceType };
    },

    async install(shell, remotePath, target, onPercent, signal): Promise<StepOutcome> {
      const command = await cli(shell);
      const progress = new MenderProgress(onPercent);
      const result = await shell.exec(`${command} install ${shellQuote(remotePath)}`, {
        onStdout: (text) => progress.push(text),
        onStderr: (text) => progress.push(text),
        signal,
        timeoutMs: 60 * 60_000,
      });
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.code !== 0) {
        const errors = menderErrors(output);
        const why = errors.length > 0 ? errors.join('; ') : `it exited with code ${String(result.code)}`;
        throw new DeckhandError(
          menderErrorCode(errors),
          `Mender on the device refused ${target.name} ${target.version}: ${why}.`,
        );
      }
      onPercent(100);
      const needsReboot = /reboot/i.test(result.stdout);
      return {
        receipt: null,
        detail: needsReboot
          ? `Mender installed ${target.name} ${target.version}; it runs after a reboot, then commit.`
          : `Mender installed ${target.name} ${target.version}; it waits for commit or rollback.`,
      };
    },

    async commit(shell, target): Promise<StepOutcome> {
      const command = await cli(shell);
      const result = await shell.exec(`${command} commit`, { timeoutMs: 10 * 60_000 });
      if (result.code === 0)
        return { receipt: null, detail: `Mender committed ${target.name} ${target.version}.` };
      const state = await readState(shell);
      // Exit code 2: no update in progress. Committing twice (a repeated step) finds it done.
      if (result.code === 2 && state.pending === null)
        return {
          receipt: null,
          detail: `Mender had no update waiting for commit; it runs ${state.current ?? 'an unknown artifact'}.`,
        };
      const errors = menderErrors(`${result.stdout}\n${result.stderr}`);
      throw new DeckhandError(
        'invalid_state',
        `Mender could not commit ${target.name} ${target.version}: ${errors.join('; ') || `exit code ${String(result.code)}`}. Roll back, or check the device's logs.`,
      );
    },

    async rollback(shell, reason): Promise<StepOutcome> {
      const command = await cli(shell);
      const result = await shell.exec(`${command} rollback`, { timeoutMs: 10 * 60_000 });
      if (result.code === 0) {
        const state = await readState(shell);
        return {
          receipt: null,
          detail: `Mender rolled back (${reason}); it runs ${state.current ?? 'an unknown artifact'}.`,
        };
      }
      // Exit code 2: no update in progress. A repeated rollback finds it done; the detail says what runs.
      if (result.code === 2) {
        const state = await readState(shell);
        return {
          receipt: null,
          detail: `Mender had no update waiting for commit, so nothing was rolled back; it runs ${state.current ?? 'an unknown artifact'}.`,
        };
      }
      const errors = menderErrors(`${result.stdout}\n${result.stderr}`);
      throw new DeckhandError(
        'invalid_state',
        `Mender could not roll back: ${errors.join('; ') || `exit code ${String(result.code)}`}. Check the device's logs.`,
      );
    },
  };
};
