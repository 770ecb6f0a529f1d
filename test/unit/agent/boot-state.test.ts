import { describe, expect, it } from 'vitest';
import {
  INITIAL_BOOT_STATE,
  activate,
  beginInstall,
  boot,
  commit,
  finishInstall,
  rollback,
  type BootState,
} from '../../../agent/boot-state';

const release = (version: string, releaseCounter = 0) => ({
  name: 'app',
  version,
  sha256: 'a'.repeat(64),
  length: 1,
  releaseCounter,
  installedAt: '2026-01-01T00:00:00Z',
});

function installed(state: BootState, version: string, counter = 0): BootState {
  const begun = beginInstall(state);
  return finishInstall(begun.state, begun.slot, release(version, counter));
}

describe('A/B boot state (test → confirm → revert)', () => {
  it('boots a pending slot once on trial, confirms it on commit, and raises the counter', () => {
    let s = boot(INITIAL_BOOT_STATE).state;
    s = activate(installed(s, '1', 3)).state;
    s = boot(s).state;
    expect(s).toMatchObject({ booted: 'a', trial: true, confirmed: null });
    s = commit(s).state;
    expect(s).toMatchObject({ booted: 'a', confirmed: 'a', pending: null, trial: false, counter: 3 });
    expect(boot(s).state).toMatchObject({ booted: 'a', trial: false });
  });

  it('reverts to the confirmed slot when the trial boot is followed by another boot without commit', () => {
    let s = commit(boot(activate(installed(boot(INITIAL_BOOT_STATE).state, '1')).state).state).state;
    s = activate(installed(s, '2')).state;
    expect(s.pending).toBe('b');
    s = boot(s).state;
    expect(s).toMatchObject({ booted: 'b', trial: true });
    const outcome = boot(s);
    expect(outcome.reverted).toBe(true);
    expect(outcome.state).toMatchObject({ booted: 'a', confirmed: 'a', pending: null, trial: false });
  });

  it('refuses installs during a trial, commits without a trial, and empty activations', () => {
    const s = boot(activate(installed(boot(INITIAL_BOOT_STATE).state, '1')).state).state;
    expect(() => beginInstall(s)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(() => commit(INITIAL_BOOT_STATE)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(() => activate(INITIAL_BOOT_STATE)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(() => rollback(INITIAL_BOOT_STATE)).toThrow(expect.objectContaining({ code: 'invalid_state' }));
    expect(rollback(s).state).toMatchObject({ booted: null, trial: false, pending: null });
  });

  it('marks the target slot empty before writing it, so a crash never points at a half-written slot', () => {
    const s = installed(boot(INITIAL_BOOT_STATE).state, '1');
    const begun = beginInstall(s);
    expect(begun.slot).toBe('a');
    expect(begun.state.slots.a).toBeNull();
  });
});
