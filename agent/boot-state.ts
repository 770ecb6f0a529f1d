/**
 * A/B slot boot state and its transitions, MCUboot style: a newly installed slot is activated as
 * *pending*, the next boot runs it once on trial, `commit` confirms it, and a boot during the trial
 * reverts to the confirmed slot. The transitions are pure; `BootStateFile` persists them atomically,
 * together with the monotonic anti-rollback counter.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { DeckhandError } from '../core/result';
import type { SlotName, SlotRelease } from '../core/protocol/messages';
import { readJsonIfExists, writeFileAtomic } from '../core/node-io/atomic-file';

/** Persisted boot state. */
export interface BootState {
  readonly format: 1;
  readonly confirmed: SlotName | null;
  readonly pending: SlotName | null;
  /** True while the booted slot is the pending one, running on trial. */
  readonly trial: boolean;
  readonly booted: SlotName | null;
  readonly bootCount: number;
  readonly counter: number;
  readonly slots: { readonly a: SlotRelease | null; readonly b: SlotRelease | null };
}

const slotName = z.enum(['a', 'b']);
const slotRelease = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  length: z.number().int().min(0),
  releaseCounter: z.number().int().min(0),
  installedAt: z.string(),
});
const bootStateSchema = z.object({
  format: z.literal(1),
  confirmed: slotName.nullable(),
  pending: slotName.nullable(),
  trial: z.boolean(),
  booted: slotName.nullable(),
  bootCount: z.number().int().min(0),
  counter: z.number().int().min(0),
  slots: z.object({ a: slotRelease.nullable(), b: slotRelease.nullable() }),
});

/** A fresh device: nothing installed. */
export const INITIAL_BOOT_STATE: BootState = {
  format: 1,
  confirmed: null,
  pending: null,
  trial: false,
  booted: null,
  bootCount: 0,
  counter: 0,
  slots: { a: null, b: null },
};

/** A transition's outcome: the new state and, when the boot reverted, why. */
export interface BootOutcome {
  readonly state: BootState;
  readonly reverted: boolean;
}

/** The other slot. */
export function otherSlot(slot: SlotName): SlotName {
  return slot === 'a' ? 'b' : 'a';
}

/** The slot an install writes to: never the booted one. */
export function inactiveSlot(state: BootState): SlotName {
  return state.booted === null ? 'a' : otherSlot(state.booted);
}

/** A boot: a pending slot runs once on trial; a boot during a trial reverts to the confirmed slot. */
export function boot(state: BootState): BootOutcome {
  const bootCount = state.bootCount + 1;
  if (state.trial) {
    return {
      state: { ...state, bootCount, booted: state.confirmed, pending: null, trial: false },
      reverted: true,
    };
  }
  if (state.pending !== null && state.slots[state.pending] !== null) {
    return { state: { ...state, bootCount, booted: state.pending, trial: true }, reverted: false };
  }
  return { state: { ...state, bootCount, booted: state.confirmed, pending: null }, reverted: false };
}

/** Marks the inactive slot empty before it is overwritten, so a crash never leaves it referenced half-written. */
export function beginInstall(state: BootState): { state: BootState; slot: SlotName } {
  if (state.trial) {
    throw new DeckhandError(
      'invalid_state',
      'The device is testing a new release. Commit it or roll it back before installing another.',
    );
  }
  const slot = inactiveSlot(state);
  return {
    slot,
    state: {
      ...state,
      pending: state.pending === slot ? null : state.pending,
      slots: { ...state.slots, [slot]: null },
    },
  };
}

/** Records a completed install in `slot`. */
export function finishInstall(state: BootState, slot: SlotName, release: SlotRelease): BootState {
  return { ...state, slots: { ...state.slots, [slot]: release } };
}

/** Marks the installed inactive slot to be tested at the next boot. */
export function activate(state: BootState): { state: BootState; slot: SlotName } {
  if (state.trial) throw new DeckhandError('invalid_state', 'The device is already testing a new release.');
  const slot = inactiveSlot(state);
  if (state.slots[slot] === null)
    throw new DeckhandError('invalid_state', 'Nothing is installed to activate. Install a release first.');
  return { slot, state: { ...state, pending: slot } };
}

/** Confirms the slot on trial; raises the anti-rollback counter to its release's. */
export function commit(state: BootState): { state: BootState; slot: SlotName } {
  const slot = state.booted;
  if (!state.trial || slot === null)
    throw new DeckhandError(
      'invalid_state',
      'No release is on trial, so there is nothing to commit. Reboot into it first.',
    );
  const release = state.slots[slot];
  return {
    slot,
    state: {
      ...state,
      confirmed: slot,
      pending: null,
      trial: false,
      counter: Math.max(state.counter, release?.releaseCounter ?? 0),
    },
  };
}

/** Abandons the trial (or the pending activation) and returns to the confirmed slot. */
export function rollback(state: BootState): { state: BootState; from: SlotName | null } {
  if (state.trial)
    return { from: state.booted, state: { ...state, booted: state.confirmed, pending: null, trial: false } };
  if (state.pending !== null) return { from: state.pending, state: { ...state, pending: null } };
  throw new DeckhandError(
    'invalid_state',
    'There is nothing to roll back: no release is pending or on trial.',
  );
}

/** The boot state file in a state folder. */
export class BootStateFile {
  readonly #path: string;

  constructor(stateDir: string) {
    this.#path = join(stateDir, 'boot-state.json');
  }

  /** Reads the state (the initial state on a fresh device). */
  load(): BootState {
    const raw = readJsonIfExists(this.#path);
    if (raw === undefined) return INITIAL_BOOT_STATE;
    const parsed = bootStateSchema.safeParse(raw);
    if (!parsed.success) throw new DeckhandError('internal', `The boot state file ${this.#path} is damaged.`);
    return parsed.data;
  }

  /** Persists the state atomically (temp, fsync, rename, folder fsync). */
  save(state: BootState): void {
    writeFileAtomic(this.#path, `${JSON.stringify(state, null, 2)}\n`, 0o644);
  }
}
