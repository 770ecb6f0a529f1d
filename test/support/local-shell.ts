/**
 * A RemoteShell that runs commands on this machine with `sh -c`, for testing installers against
 * real updater binaries without an SSH server in between.
 */
import { spawn } from 'node:child_process';
import { DeckhandError } from '../../core/result';
import type { ExecOptions, ExecResult, RemoteShell } from '../../main/adapters/ssh/remote-shell';

/** Creates a shell whose commands run locally, optionally with extra environment variables. */
export function createLocalShell(env: Readonly<Record<string, string>> = {}): RemoteShell & {
  readonly commands: readonly string[];
} {
  const commands: string[] = [];
  return {
    commands,
    exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
      commands.push(command);
      return new Promise((resolve, reject) => {
        const child = spawn('sh', ['-c', command], { env: { ...process.env, ...env } });
        let stdout = '';
        let stderr = '';
        const timer =
          options.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                child.kill('SIGKILL');
                reject(new DeckhandError('timeout', `"${command}" ran longer than ${options.timeoutMs} ms.`));
              }, options.timeoutMs);
        const onAbort = (): void => {
          child.kill('SIGKILL');
          reject(new DeckhandError('cancelled', `"${command}" was cancelled.`));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          stdout += text;
          options.onStdout?.(text);
        });
        child.stderr.setEncoding('utf8').on('data', (text: string) => {
          stderr += text;
          options.onStderr?.(text);
        });
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve({ code, stdout, stderr });
        });
      });
    },
  };
}
