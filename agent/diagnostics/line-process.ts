/**
 * One long-lived child process whose stdout is read line by line (nvidia-smi -lms, tegrastats
 * --interval). If the tool dies on its own (driver reset, OOM killer, a Jetson that rail-gates the
 * GPU), it is started again after a back-off that doubles up to a limit; stop() ends it and waits
 * until it is gone, so nothing is left behind.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

/** How to run and supervise the tool. */
export interface LineProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Called for each complete, non-empty stdout line, with the time it arrived. */
  readonly onLine: (line: string, atMs: number) => void;
  /** First restart delay; doubles after each quick failure up to maxRestartDelayMs. */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. */
  readonly killAfterMs?: number;
}

// A run that lasted this long counts as healthy: the next failure restarts at the first delay again.
const HEALTHY_RUN_MS = 10_000;
const STDERR_KEPT = 2048;

/** A supervised child process read line by line. */
export class LineProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private stopping = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private delayMs: number;
  private stderrTail = '';
  private startsCount = 0;

  constructor(private readonly options: LineProcessOptions) {
    this.delayMs = options.restartDelayMs ?? 1000;
  }

  /** Process id of the running child, or null between runs. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** How many times the child was started (1 + restarts). */
  get starts(): number {
    return this.startsCount;
  }

  /** The end of what the tool wrote on stderr, for the technician's log. */
  get lastError(): string {
    return this.stderrTail.trim();
  }

  /** Starts the tool; it keeps being restarted until stop(). */
  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.launch();
  }

  /** Ends the tool (SIGTERM, then SIGKILL) and resolves once it has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    const exited = this.exited;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.options.killAfterMs ?? 2000);
    await exited;
    clearTimeout(killer);
  }

  private launch(): void {
    const startedAt = Date.now();
    this.startsCount += 1;
    const child = spawn(this.options.command, [...this.options.args], {
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let pending = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).replace(/\r$/, '').trim();
        pending = pending.slice(newline + 1);
        if (line !== '') this.options.onLine(line, Date.now());
        newline = pending.indexOf('\n');
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEPT);
    });
    this.exited = new Promise<void>((resolve) => {
      // 'close' fires after 'exit' and after stdio has drained, so the last lines are delivered.
      child.once('close', () => resolve());
      child.once('error', (error) => {
        this.stderrTail = (this.stderrTail + `\n${error.message}`).slice(-STDERR_KEPT);
        resolve();
      });
    });
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
      if (this.stopping) return;
      if (Date.now() - startedAt >= HEALTHY_RUN_MS) this.delayMs = this.options.restartDelayMs ?? 1000;
      const delay = this.delayMs;
      this.delayMs = Math.min(this.delayMs * 2, this.options.maxRestartDelayMs ?? 30_000);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopping) this.launch();
      }, delay);
    });
  }
}
