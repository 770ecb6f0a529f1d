/**
 * A command runner on a device reached over SSH. The installers (rauc, mender, swupdate, copy) only
 * see this, so they can be tested against any shell that runs real commands.
 */

/** What a finished remote command left: its exit code (null when killed by a signal) and its output. */
export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of one remote command. */
export interface ExecOptions {
  /** Called with each chunk of standard output as it arrives (progress parsing). */
  readonly onStdout?: (text: string) => void;
  /** Called with each chunk of standard error as it arrives. */
  readonly onStderr?: (text: string) => void;
  /** Aborting closes the channel; exec then rejects with DeckhandError('cancelled'). */
  readonly signal?: AbortSignal;
  /** Rejects with DeckhandError('timeout') when the command runs longer. */
  readonly timeoutMs?: number;
}

/** Runs commands on the device through `sh -c` semantics (OpenSSH's exec request). */
export interface RemoteShell {
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
}

/** Quotes one word for a POSIX shell: `it's` → `'it'\''s'`. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
