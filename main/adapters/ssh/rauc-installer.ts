/**
 * The RAUC installer: `rauc install BUNDLE` (RAUC checks the bundle's own signature against the
 * device's keyring and writes the inactive slots), `rauc status --detailed --output-format=json` for
 * the device's state, `rauc status mark-good booted` to commit and `mark-bad booted` +
 * `mark-active other` to roll back (the session then reboots).
 *
 * RAUC's boot status alone cannot tell a release on trial (a noop or U-Boot bootloader reports the
 * same before and after mark-good), so the installer keeps a small state file next to the uploads:
 * written after install, removed by commit and rollback; `trial` is true while it names the release
 * in the booted slot.
 */
import { DeckhandError } from '../../../core/result';
import type { InstalledItem } from '../../services/deploy/device-session';
import { shellQuote, type RemoteShell } from './remote-shell';
import { bootedSlot, parseRaucProgress, parseRaucStatus, type RaucStatus } from './rauc-status';
import type { InstallerFactory, UpdaterInstaller } from './updater-installer';

/** A bundle install of a big rootfs can take many minutes on eMMC. */
const INSTALL_TIMEOUT_MS = 60 * 60_000;
const STATUS_TIMEOUT_MS = 60_000;

/** What Deckhand installed last, as kept on the device. */
interface PendingRelease {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
}

/** Creates the RAUC installer; settings: `command` (default `rauc`). */
export const createRaucInstaller: InstallerFactory = (options): UpdaterInstaller => {
  const rauc = typeof options.settings?.['command'] === 'string' ? options.settings['command'] : 'rauc';
  const stateFile = shellQuote(
    `${(options.stagingDir ?? '/var/tmp/deckhand').replace(/\/+$/, '')}/rauc-pending.json`,
  );

  const status = async (shell: RemoteShell): Promise<RaucStatus> => {
    const result = await shell.exec(`${rauc} status --detailed --output-format=json`, {
      timeoutMs: STATUS_TIMEOUT_MS,
    });
    if (result.code !== 0) throw raucError('read its status', result.stderr);
    return parseRaucStatus(result.stdout);
  };
  const pending = async (shell: RemoteShell): Promise<PendingRelease | null> => {
    const result = await shell.exec(`cat ${stateFile} 2>/dev/null`, { timeoutMs: STATUS_TIMEOUT_MS });
    try {
      const value = JSON.parse(result.stdout) as Partial<PendingRelease>;
      return typeof value.name === 'string' &&
        typeof value.version === 'string' &&
        typeof value.sha256 === 'string'
        ? { name: value.name, version: value.version, sha256: value.sha256 }
        : null;
    } catch {
      return null;
    }
  };
  const mark = async (shell: RemoteShell, how: string): Promise<void> => {
    const result = await shell.exec(`${rauc} status ${how}`, { timeoutMs: STATUS_TIMEOUT_MS });
    if (result.code !== 0) throw raucError(how.replace(/-/g, ' '), result.stderr);
  };

  return {
    name: 'rauc',
    capabilities: ['install', 'reboot', 'health', 'commit', 'rollback'],

    async snapshot(shell) {
      const [state, last] = [await status(shell), await pending(shell)];
      const booted = bootedSlot(state);
      const releases: InstalledItem[] = state.slots
        .filter((slot) => slot.bundleVersion !== null)
        .map((slot) => {
          const ours = last !== null && slot.bundleVersion === last.version;
          const isBooted = slot === booted;
          return {
            name: ours ? last.name : (slot.bundleCompatible ?? slot.slotClass),
            version: slot.bundleVersion!,
            sha256: ours ? last.sha256 : slot.bundleHash,
            state: isBooted ? (ours ? 'trial' : 'active') : 'inactive',
          };
        });
      // RAUC's compatible string is the device's hardware identity: bundles must name it to install.
      return { hardware: state.compatible, releases, trial: releases.some((item) => item.state === 'trial') };
    },

    async install(shell, remotePath, target, onPercent, signal) {
      let buffered = '';
      const result = await shell.exec(`${rauc} install ${shellQuote(remotePath)}`, {
        signal,
        timeoutMs: INSTALL_TIMEOUT_MS,
        onStdout: (text) => {
          // Only whole lines: a chunk may end in the middle of "40% Verifying…".
          buffered += text;
          const end = buffered.lastIndexOf('\n');
          if (end < 0) return;
          for (const percent of parseRaucProgress(buffered.slice(0, end + 1))) onPercent(percent);
          buffered = buffered.slice(end + 1);
        },
      });
      if (result.code !== 0)
        throw raucError(`install ${target.name} ${target.version}`, `${result.stderr}\n${result.stdout}`);
      onPercent(100);
      const record: PendingRelease = { name: target.name, version: target.version, sha256: target.sha256 };
      await shell.exec(`printf '%s' ${shellQuote(JSON.stringify(record))} > ${stateFile}`, {
        timeoutMs: STATUS_TIMEOUT_MS,
      });
      const state = await status(shell);
      const written = state.slots.filter(
        (slot) => slot.bundleVersion === target.version && slot !== bootedSlot(state),
      );
      return {
        receipt: null,
        detail: `rauc installed ${target.name} ${target.version}${written.length ? ` into ${written.map((slot) => slot.name).join(', ')}` : ''}`,
      };
    },

    async health(shell, target) {
      const state = await status(shell);
      const booted = bootedSlot(state);
      if (booted === null) return { healthy: false, detail: 'RAUC cannot tell which slot is booted' };
      return booted.bundleVersion === target.version
        ? { healthy: true, detail: `booted slot ${booted.name} runs ${target.version}` }
        : {
            healthy: false,
            detail: `booted slot ${booted.name} runs ${booted.bundleVersion ?? 'an unknown version'}, not ${target.version}: the new release did not boot`,
          };
    },

    async commit(shell, target) {
      const state = await status(shell);
      const booted = bootedSlot(state);
      // Never confirm the old release by mistake: mark-good applies to whatever is booted.
      if (booted === null || booted.bundleVersion !== target.version)
        throw new DeckhandError(
          'invalid_state',
          `The device is not running ${target.name} ${target.version} (booted slot ${booted?.name ?? 'unknown'} holds ${booted?.bundleVersion ?? 'nothing Deckhand knows'}); nothing was confirmed. Reboot it, or roll back.`,
        );
      await mark(shell, 'mark-good booted');
      await shell.exec(`rm -f ${stateFile}`, { timeoutMs: STATUS_TIMEOUT_MS });
      return { receipt: null, detail: `rauc marked slot ${booted.name} (${target.version}) good` };
    },

    async rollback(shell, reason) {
      const [state, last] = [await status(shell), await pending(shell)];
      const booted = bootedSlot(state);
      if (last !== null && booted !== null && booted.bundleVersion === last.version) {
        // Running the new release: mark it bad and boot the other slot.
        await mark(shell, 'mark-bad booted');
        await mark(shell, 'mark-active other');
      } else {
        // Installed but not booted yet: make the running slot the one to boot again.
        await mark(shell, 'mark-active booted');
      }
      await shell.exec(`rm -f ${stateFile}`, { timeoutMs: STATUS_TIMEOUT_MS });
      return { receipt: null, detail: `rauc returned to the previous slot (${reason})` };
    },
  };
};

function raucError(what: string, output: string): DeckhandError {
  // `rauc install` prints the reason as "LastError: …" on stdout, after its percentage lines.
  const lastError = /^LastError:\s*(.+)$/m.exec(output)?.[1]?.trim();
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^\d{1,3}% /.test(line));
  const why = lastError ?? lines.at(-1) ?? 'no message';
  if (/rauc: (command )?not found/i.test(output))
    return new DeckhandError('not_supported', `RAUC is not installed on the device: ${why}.`);
  if (/compatible mismatch/i.test(why))
    return new DeckhandError(
      'incompatible_hardware',
      `RAUC on the device says the bundle is not for this device: ${why}.`,
    );
  if (/signature|certificate|verif|keyring/i.test(why))
    return new DeckhandError(
      'bad_signature',
      `RAUC on the device refused the bundle's signature: ${why}. The bundle is not signed for this device's keyring.`,
    );
  if (/invalid bundle|bundle format|squashfs/i.test(why))
    return new DeckhandError('bad_target', `RAUC on the device cannot read the bundle: ${why}.`);
  return new DeckhandError('invalid_state', `RAUC could not ${what}: ${why}.`);
}
