/** Runs the real `deckhand` bin as a child process, as a technician's shell would. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of bin/deckhand.mjs. */
export const DECKHAND_BIN = fileURLToPath(new URL('../../bin/deckhand.mjs', import.meta.url));

/** The outcome of one CLI run. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The last line of `deckhand deploy --json`: the run's result per device. */
export interface DeployResult {
  readonly ok: boolean;
  readonly devices: readonly {
    device: string;
    outcome: string;
    code: string | null;
    reason: string | null;
  }[];
}

/** Runs `deckhand ...args` and waits for it. */
export function runDeckhand(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const result = spawnSync(process.execPath, [DECKHAND_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DECKHAND_DATA_DIR: '', ...env },
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `deckhand ...args` without blocking this process (in-process agents keep answering). */
export function runDeckhandAsync(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DECKHAND_BIN, ...args], {
      env: { ...process.env, DECKHAND_DATA_DIR: '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
