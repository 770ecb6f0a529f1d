/**
 * The `copy` installer: the upload is the delivery; HQ's `install` metadata then says what to do with
 * the file on the device. `command` runs with placeholders replaced by shell-quoted values
 * ({file} the uploaded path, {name}, {version}, {sha256}), e.g. moving a model into the models folder
 * and restarting the inference server; `dest` copies the file into a folder atomically (same name as
 * the target). The session runs `install.health` as the health check.
 */
import { basename } from 'node:path';
import { DeckhandError } from '../../../core/result';
import type { DeployTarget, StepOutcome } from '../../services/deploy/device-session';
import { shellQuote, type RemoteShell } from './remote-shell';
import { installText, type InstallerFactory, type UpdaterInstaller } from './updater-installer';

/** Default limit for the configured command (a container load can take minutes). */
const COMMAND_TIMEOUT_MS = 30 * 60_000;

/** Replaces {file}, {name}, {version} and {sha256} with shell-quoted values. */
export function expandCommand(template: string, remotePath: string, target: DeployTarget): string {
  const values: Readonly<Record<string, string>> = {
    file: remotePath,
    name: target.name,
    version: target.version,
    sha256: target.sha256,
  };
  return template.replace(/\{(file|name|version|sha256)\}/g, (_, key: string) => shellQuote(values[key]!));
}

/** The shell command that installs a copy target, from its `install` metadata. */
export function copyCommand(remotePath: string, target: DeployTarget): string {
  const command = installText(target, 'command');
  const dest = installText(target, 'dest');
  if (command !== null) return expandCommand(command, remotePath, target);
  if (dest !== null && dest.startsWith('/')) {
    const folder = shellQuote(dest);
    const final = shellQuote(`${dest.replace(/\/+$/, '')}/${basename(target.path)}`);
    const temp = shellQuote(`${dest.replace(/\/+$/, '')}/.${basename(target.path)}.deckhand-tmp`);
    // Copy then rename: whoever reads the folder never sees half a file. The staged copy is then
    // removed; a repeated install (after a lost link) finds it gone and the file in place.
    const staged = shellQuote(remotePath);
    return `mkdir -p ${folder} && { [ ! -f ${staged} ] || { cp -f ${staged} ${temp} && { sync ${temp} 2>/dev/null || true; } && mv -f ${temp} ${final} && rm -f ${staged}; }; } && [ -f ${final} ]`;
  }
  throw new DeckhandError(
    'bad_target',
    `${target.name} ${target.version} is marked "copy" but HQ gave no install command or absolute dest folder. Ask HQ to add install.command or install.dest.`,
  );
}

/** Creates the copy installer. */
export const createCopyInstaller: InstallerFactory = (): UpdaterInstaller => ({
  name: 'copy',
  capabilities: ['install', 'health'],
  snapshot: () => Promise.resolve({ releases: [], trial: false }),
  async install(
    shell: RemoteShell,
    remotePath: string,
    target: DeployTarget,
    onPercent,
    signal,
  ): Promise<StepOutcome> {
    const command = copyCommand(remotePath, target);
    const result = await shell.exec(command, { signal, timeoutMs: COMMAND_TIMEOUT_MS });
    if (result.code !== 0) {
      const why = result.stderr.trim().split('\n').at(-1) ?? '';
      throw new DeckhandError(
        'invalid_state',
        `Installing ${target.name} ${target.version} failed: the device's install command exited with ${result.code ?? 'a signal'}${why ? ` (${why})` : ''}.`,
      );
    }
    onPercent(100);
    return { receipt: null, detail: `ran: ${command}` };
  },
  commit: (_shell, target) =>
    Promise.resolve({ receipt: null, detail: `${target.name} ${target.version} copied; nothing to confirm` }),
  rollback: () =>
    Promise.reject(
      new DeckhandError(
        'not_supported',
        'A copied file has no previous version to return to; deploy the older target again.',
      ),
    ),
});
