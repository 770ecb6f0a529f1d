/**
 * What a real device does differently from the simulator: install, reboot and health. The defaults
 * make the agent a faithful simulator (copy into the slot; reboot = run the boot logic in-process;
 * health = the release's own `health` script if the slot has one, else pass).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { SlotName, VerifiedTarget } from '../core/protocol/messages';

/** Hooks a device integrator may replace. */
export interface AgentHooks {
  /** Installs a verified release blob into `slotDir` (which the agent has emptied). */
  readonly install?: (context: {
    slot: SlotName;
    slotDir: string;
    blobPath: string;
    target: VerifiedTarget;
  }) => Promise<void>;
  /**
   * Reboots. Return 'simulated' to have the agent apply its boot logic in-process (the default), or
   * 'system' after asking the OS to reboot: the agent then applies the boot logic at its next start.
   */
  readonly reboot?: () => Promise<'simulated' | 'system'>;
  /** Judges the booted release's health. */
  readonly health?: (context: {
    slot: SlotName | null;
    slotDir: string | null;
  }) => Promise<{ healthy: boolean; detail: string }>;
}

/** The simulator's health check: run `<slot>/health` with a time limit when present. */
export async function defaultHealth(context: { slot: SlotName | null; slotDir: string | null }): Promise<{
  healthy: boolean;
  detail: string;
}> {
  if (context.slot === null || context.slotDir === null)
    return { healthy: false, detail: 'No release is booted.' };
  const script = join(context.slotDir, 'health');
  try {
    accessSync(script, constants.X_OK);
  } catch {
    return { healthy: true, detail: `Slot ${context.slot} has no health script; it passes by default.` };
  }
  return new Promise((resolve) => {
    execFile(script, [], { cwd: context.slotDir ?? undefined, timeout: 30_000 }, (error, stdout) => {
      const out = stdout.toString().trim().slice(0, 500);
      resolve(
        error
          ? {
              healthy: false,
              detail: `The health script failed (${error.code ?? error.signal ?? 'error'}). ${out}`.trim(),
            }
          : { healthy: true, detail: out || 'The health script passed.' },
      );
    });
  });
}
