/** The CLI's view of the outside world, passed in so tests can capture output. */
import { toErrorData, type AppErrorData } from '../../core/result';

/** Where a command writes, and the environment it reads. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Exit codes of ARCHITECTURE.md's CLI contract. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Prints one JSON object on stdout (the `--json` contract). */
export function printJson(io: CliIo, value: object): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Reports a failure as JSON or as a readable line on stderr; returns the exit code. */
export function reportFailure(io: CliIo, json: boolean, thrown: unknown): number {
  const error: AppErrorData = toErrorData(thrown);
  if (json) printJson(io, { ok: false, error });
  else io.stderr.write(`deckhand: ${error.message} [${error.code}]\n`);
  if (error.code === 'internal') io.stderr.write(`${(thrown as Error)?.stack ?? String(thrown)}\n`);
  return error.code === 'usage' ? EXIT.usage : EXIT.failure;
}
