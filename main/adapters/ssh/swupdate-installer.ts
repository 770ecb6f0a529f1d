/**
 * SWUpdate over SSH: `swupdate -i FILE` with the CMS certificate (`-k`) and hardware revision (`-H`)
 * the target's install parameters name. SWUpdate verifies the .swu's signature and hashes itself;
 * Deckhand only ferries the file and reads the verdict.
 *
 * SWUpdate 2022.12 (Debian bookworm) exits 1 after a successful `-i` run as well as after a failed
 * one, so the verdict is read from its log lines (see parseSwupdateOutput), never from the exit
 * code. It keeps no record of what it installed, so after a successful install
 * Deckhand writes one on the device (`stateFile`) and `snapshot` reads that back.
 */
import { DeckhandError, type ErrorCode } from '../../../core/result';
import type { DeployTarget, InstalledItem, StepOutcome } from '../../services/deploy/device-session';
import { shellQuote, type RemoteShell } from './remote-shell';
import type {
  InstallerFactory,
  InstallerOptions,
  InstallerSnapshot,
  UpdaterInstaller,
} from './updater-installer';

/** Where Deckhand records the last image SWUpdate installed, unless the connector says otherwise. */
export const DEFAULT_SWUPDATE_STATE_FILE = '/var/lib/deckhand/swupdate-installed.json';

/** How one install is run, from the target's `install.params` over the connector's settings. */
export interface SwupdateInvocation {
  /** CMS certificate (or public key) on the device that signs .swu files: `-k`. */
  readonly key: string | null;
  /** `board:revision` when the device has no /etc/hwrevision: `-H`. */
  readonly hwRevision: string | null;
  /** TMPDIR for SWUpdate's control and progress sockets (so it does not meet a running daemon's). */
  readonly tmpDir: string | null;
}

/** Builds the `swupdate -i` command line. */
export function swupdateCommand(binary: string, remotePath: string, invocation: SwupdateInvocation): string {
  const words = [binary, '-v'];
  if (invocation.key !== null) words.push('-k', invocation.key);
  if (invocation.hwRevision !== null) words.push('-H', invocation.hwRevision);
  words.push('-i', remotePath);
  const command = words.map(shellQuote).join(' ');
  return `${invocation.tmpDir === null ? '' : `TMPDIR=${shellQuote(invocation.tmpDir)} `}${command} 2>&1`;
}

/** The verdict SWUpdate printed, with its error lines. */
export interface SwupdateVerdict {
  readonly outcome: 'success' | 'failure' | 'unknown';
  readonly errors: readonly string[];
}

/**
 * Reads SWUpdate's log lines. Success is its status line `[INFO ] : SWUPDATE successful !` with no
 * `[ERROR]` line; 2022.12 also prints "[endupdate] : SWUpdate was successful !" after a refused
 * image, so that line proves nothing.
 */
export function parseSwupdateOutput(output: string): SwupdateVerdict {
  const errors: string[] = [];
  let success = false;
  let failure = false;
  for (const line of output.split(/\r?\n/)) {
    if (/^\[INFO ?\]\s*:\s*SWUPDATE successful/.test(line)) success = true;
    if (line.startsWith('[ERROR]')) {
      failure = true;
      const text = errorText(line);
      if (text !== '' && !/SWUpdate \*failed\*/.test(text)) errors.push(text);
    }
  }
  return { outcome: failure ? 'failure' : success ? 'success' : 'unknown', errors };
}

/** `[ERROR] : SWUPDATE failed [0] ERROR : Checksum WRONG !` → `Checksum WRONG !`. */
function errorText(line: string): string {
  const afterStatus = line.replace(/^\[ERROR\]\s*:\s*SWUPDATE failed\s*(?:\[\d+\])?\s*/, '');
  return afterStatus.replace(/^ERROR\s*:\s*/, '').trim();
}

/** Which code a failed install deserves, from SWUpdate's own error lines. */
export function swupdateErrorCode(errors: readonly string[]): ErrorCode {
  const text = errors.join('\n');
  if (/signature|verify|Verification|certificate|CMS/i.test(text)) return 'bad_signature';
  if (
    /HW compatibility|Hardware compatibility|hwrevision|Compatible SW not found|not compatible with hardware/i.test(
      text,
    )
  )
    return 'incompatible_hardware';
  if (/Checksum WRONG|HASH mismatch|hash mismatch|corrupted|CPIO/i.test(text)) return 'bad_target';
  return 'invalid_state';
}

/**
 * Progress from SWUpdate's verbose log: it prints phases, not percentages, on its console (the
 * percentages go to the progress socket, which needs a client on the device). Each phase moves the
 * bar to a fixed point; each installed image moves it half of the remaining way towards 95.
 */
export class SwupdateProgress {
  readonly #onPercent: (percent: number) => void;
  #percent = 0;
  #partial = '';

  constructor(onPercent: (percent: number) => void) {
    this.#onPercent = onPercent;
  }

  /** Feeds a chunk of output (lines may be split across chunks). */
  push(chunk: string): void {
    const lines = (this.#partial + chunk).split(/\r?\n/);
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#line(line);
  }

  #line(line: string): void {
    if (/Software Update started/.test(line)) this.#to(5);
    else if (/Verified OK/.test(line)) this.#to(15);
    else if (/Valid image found/.test(line)) this.#to(30);
    else if (/Installation in progress/.test(line)) this.#to(40);
    else if (/Found installer for stream/.test(line)) this.#to(this.#percent + (95 - this.#percent) / 2);
    else if (/^\[INFO ?\]\s*:\s*SWUPDATE successful/.test(line)) this.#to(100);
  }

  #to(percent: number): void {
    const rounded = Math.floor(percent);
    if (rounded <= this.#percent) return;
    this.#percent = rounded;
    this.#onPercent(rounded);
  }
}

function stringParam(params: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = params[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Creates the SWUpdate installer. Settings: `binary`, `key`, `hwRevision` (board:rev), `tmpDir`,
 * `stateFile`, `hwRevisionFile` (default /etc/hwrevision, whose board names the hardware), `reboot`
 * (false: the images need no reboot).
 */
export const createSwupdateInstaller: InstallerFactory = (options: InstallerOptions): UpdaterInstaller => {
  const settings = options.settings ?? {};
  const binary = stringParam(settings, 'binary') ?? 'swupdate';
  const stateFile = stringParam(settings, 'stateFile') ?? DEFAULT_SWUPDATE_STATE_FILE;
  const hwRevisionFile = stringParam(settings, 'hwRevisionFile') ?? '/etc/hwrevision';
  const configuredBoard = stringParam(settings, 'hwRevision')?.split(':')[0] ?? null;

  const invocationFor = (target: DeployTarget): SwupdateInvocation => {
    const params = target.install.params;
    return {
      key: stringParam(params, 'key') ?? stringParam(settings, 'key'),
      hwRevision: stringParam(params, 'hwRevision') ?? stringParam(settings, 'hwRevision'),
      tmpDir: stringParam(settings, 'tmpDir'),
    };
  };

  const notSupported = (what: string): DeckhandError =>
    new DeckhandError(
      'not_supported',
      `SWUpdate has no ${what} of its own; the device's bootloader decides which image runs.`,
    );

  return {
    name: 'swupdate',
    // SWUpdate writes the inactive copy; the device boots it after a reboot (`reboot: false` drops it).
    capabilities: settings['reboot'] === false ? ['install', 'health'] : ['install', 'reboot', 'health'],

    async snapshot(shell: RemoteShell): Promise<InstallerSnapshot> {
      const result = await shell.exec(
        `cat ${shellQuote(stateFile)} 2>/dev/null; echo '@@deckhand@@'; cat ${shellQuote(hwRevisionFile)} 2>/dev/null; true`,
        { timeoutMs: 30_000 },
      );
      const [recordText = '', hwRevisionText = ''] = result.stdout.split('@@deckhand@@');
      // SWUpdate's hardware identity: the board of `-H board:rev` when set, else of /etc/hwrevision.
      const board = configuredBoard ?? /^\s*(\S+)/.exec(hwRevisionText)?.[1] ?? null;
      const releases: InstalledItem[] = [];
      const text = recordText.trim();
      if (text !== '') {
        try {
          const record = JSON.parse(text) as { name?: unknown; version?: unknown; sha256?: unknown };
          if (typeof record.name === 'string' && typeof record.version === 'string')
            releases.push({
              name: record.name,
              version: record.version,
              sha256: typeof record.sha256 === 'string' ? record.sha256 : null,
              state: 'active',
            });
        } catch {
          // A record Deckhand cannot read says nothing about the device: report nothing installed.
        }
      }
      return { releases, trial: false, hardware: board };
    },

    async install(shell, remotePath, target, onPercent, signal): Promise<StepOutcome> {
      const progress = new SwupdateProgress(onPercent);
      const result = await shell.exec(swupdateCommand(binary, remotePath, invocationFor(target)), {
        onStdout: (text) => progress.push(text),
        onStderr: (text) => progress.push(text),
        signal,
        timeoutMs: 60 * 60_000,
      });
      if (result.code === 127)
        throw new DeckhandError(
          'not_supported',
          `The device has no "${binary}" command. Install SWUpdate on it, or deploy with another installer.`,
        );
      const verdict = parseSwupdateOutput(result.stdout + result.stderr);
      if (verdict.outcome !== 'success') {
        const why = verdict.errors.length > 0 ? verdict.errors.join('; ') : 'it printed no verdict';
        throw new DeckhandError(
          verdict.outcome === 'failure' ? swupdateErrorCode(verdict.errors) : 'invalid_state',
          `SWUpdate on the device refused ${target.name} ${target.version}: ${why}. Check the .swu's signature and hardware compatibility, then deploy again.`,
        );
      }
      const record = JSON.stringify({
        name: target.name,
        version: target.version,
        sha256: target.sha256,
        installedAt: new Date().toISOString(),
      });
      const directory = stateFile.slice(0, Math.max(stateFile.lastIndexOf('/'), 1));
      const written = await shell.exec(
        `mkdir -p ${shellQuote(directory)} && printf '%s\\n' ${shellQuote(record)} > ${shellQuote(`${stateFile}.tmp`)} && mv ${shellQuote(`${stateFile}.tmp`)} ${shellQuote(stateFile)}`,
        { timeoutMs: 30_000 },
      );
      if (written.code !== 0)
        throw new DeckhandError(
          'invalid_state',
          `SWUpdate installed ${target.name} ${target.version}, but Deckhand could not record it in ${stateFile}: ${written.stderr.trim()}`,
        );
      onPercent(100);
      return { receipt: null, detail: `SWUpdate installed ${target.name} ${target.version}` };
    },

    commit(): Promise<StepOutcome> {
      return Promise.reject(notSupported('commit step'));
    },

    rollback(): Promise<StepOutcome> {
      return Promise.reject(notSupported('rollback'));
    },
  };
};
