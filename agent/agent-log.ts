/** The agent's own log (`agent.log` in the state folder), bounded by one rotation, tailed by `logs`. */
import { appendFileSync, closeSync, fstatSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAX_LOG_BYTES = 1024 * 1024;
const TAIL_BYTES = 256 * 1024;

/** Appends and tails the agent log. */
export class AgentLog {
  readonly #path: string;
  readonly #echo: ((line: string) => void) | undefined;

  constructor(stateDir: string, echo?: (line: string) => void) {
    this.#path = join(stateDir, 'agent.log');
    this.#echo = echo;
  }

  /** Writes one line with a timestamp. */
  info(message: string): void {
    const line = `${new Date().toISOString()} ${message}`;
    this.#echo?.(line);
    try {
      if (statSync(this.#path).size > MAX_LOG_BYTES) renameSync(this.#path, `${this.#path}.1`);
    } catch {
      // No log yet.
    }
    appendFileSync(this.#path, `${line}\n`);
  }

  /** The last `lines` lines. */
  tail(lines: number): string[] {
    let fd: number;
    try {
      fd = openSync(this.#path, 'r');
    } catch {
      return [];
    }
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, size - length);
      return buf
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .slice(-lines);
    } finally {
      closeSync(fd);
    }
  }
}
