/**
 * Starts the privileged image-writer helper (privileged-writer.ts) and talks to it. On Linux the
 * helper runs through pkexec (a desktop password prompt) or sudo; `DECKHAND_ELEVATE` picks
 * `pkexec`, `sudo` or `none` (already root, as in CI). The channel is the helper's stdin and stdout,
 * authenticated with a fresh random key (core/image-writer/helper-channel.ts), never a localhost
 * port as etcher's writer uses. macOS and Windows equivalents are in docs/image-writer.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHANNEL_KEY_BYTES, FrameReader, FrameWriter } from '../../../core/image-writer/helper-channel';
import type { ProgressRecord } from '../../../core/progress/progress-meter';
import { DeckhandError, type AppErrorData, type ErrorCode } from '../../../core/result';
import type { WriteOutcome } from './image-writer';
import { HELPER_MAGIC } from './privileged-writer';

/** How to start the helper. */
export interface LaunchOptions {
  /** Elevation prefix, e.g. ['pkexec'] or ['sudo', '-n']; [] when already privileged. */
  readonly elevate?: readonly string[];
  /** The helper command (default: this Node running privileged-writer.ts through tsx). */
  readonly command?: readonly string[];
  /** How long to wait for the helper (a password prompt included; default 120 s). */
  readonly readyTimeoutMs?: number;
}

/** What one write asks for (paths as the helper will see them). */
export interface HelperWriteRequest {
  readonly source: string;
  readonly bmap?: string;
  readonly targets: readonly string[];
  readonly verify?: boolean;
}

/** The elevation prefix for this platform and `DECKHAND_ELEVATE`. */
export function defaultElevation(env: NodeJS.ProcessEnv = process.env): string[] {
  const choice = env['DECKHAND_ELEVATE'];
  if (choice === 'none') return [];
  if (choice === 'sudo') return ['sudo', '-n'];
  if (choice === 'pkexec') return ['pkexec'];
  if (process.getuid?.() === 0) return [];
  if (process.platform === 'linux') return env['DISPLAY'] || env['WAYLAND_DISPLAY'] ? ['pkexec'] : ['sudo'];
  throw new DeckhandError(
    'not_supported',
    'Writing drives from this platform needs the signed helper of the installed app; see docs/image-writer.md.',
  );
}

/** The default helper command: Node with tsx, running privileged-writer.ts. */
export function defaultHelperCommand(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const helper = fileURLToPath(new URL('./privileged-writer.ts', import.meta.url));
  return [process.execPath, '--import', tsx, helper];
}

/** A running helper. */
export class PrivilegedWriter {
  readonly #child: ChildProcess;
  readonly #writer: FrameWriter;
  readonly #jobs = new Map<
    string,
    { resolve: (o: WriteOutcome) => void; reject: (e: Error) => void; progress?: (r: ProgressRecord) => void }
  >();
  /** The helper's uid as it reported it (0 when privileged). */
  uid: number | null = null;
  #exited: Promise<number | null>;

  private constructor(child: ChildProcess, key: Buffer) {
    this.#child = child;
    this.#writer = new FrameWriter(key);
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the helper and waits until it has the key and answered. */
  static async launch(options: LaunchOptions = {}): Promise<PrivilegedWriter> {
    const argv = [...(options.elevate ?? defaultElevation()), ...(options.command ?? defaultHelperCommand())];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const key = randomBytes(CHANNEL_KEY_BYTES);
    const helper = new PrivilegedWriter(child, key);
    const reader = new FrameReader(key);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new DeckhandError('timeout', 'The image-writer helper did not start (no password given?).')),
        options.readyTimeoutMs ?? 120_000,
      );
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new DeckhandError(
            'not_found',
            `Could not start the image-writer helper with ${argv[0]} (${error.message}).`,
          ),
        );
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new DeckhandError(
            'unauthorized',
            `The image-writer helper stopped (exit ${code}) before it was ready: privileges were refused or it failed. ${stderr.trim()}`,
          ),
        );
        helper.#failAll('link_lost', 'The image-writer helper stopped.');
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        let messages: unknown[];
        try {
          messages = reader.push(chunk);
        } catch {
          helper.#failAll('unauthorized', 'The image-writer helper sent a frame that is not authentic.');
          child.kill();
          return;
        }
        for (const message of messages) {
          const m = message as {
            type: string;
            id?: string;
            uid?: number | null;
            record?: ProgressRecord;
            outcome?: WriteOutcome;
            error?: AppErrorData;
          };
          if (m.type === 'ready') {
            clearTimeout(timer);
            helper.uid = m.uid ?? null;
            resolve();
            continue;
          }
          const job = m.id === undefined ? undefined : helper.#jobs.get(m.id);
          if (job === undefined) continue;
          if (m.type === 'progress' && m.record) job.progress?.(m.record);
          if (m.type === 'result' && m.outcome) {
            helper.#jobs.delete(m.id!);
            job.resolve(m.outcome);
          }
          if (m.type === 'error' && m.error) {
            helper.#jobs.delete(m.id!);
            job.reject(new DeckhandError(m.error.code, m.error.message, m.error.details));
          }
        }
      });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.write(Buffer.concat([HELPER_MAGIC, key]));
    await ready;
    return helper;
  }

  /** Writes an image through the helper; per-drive failures are in the outcome. */
  write(
    request: HelperWriteRequest,
    onProgress?: (record: ProgressRecord) => void,
    signal?: AbortSignal,
  ): Promise<WriteOutcome> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      this.#jobs.set(id, { resolve, reject, ...(onProgress ? { progress: onProgress } : {}) });
      signal?.addEventListener('abort', () => this.#send({ type: 'cancel', id }), { once: true });
      this.#send({ type: 'write', id, request });
    });
  }

  /** Closes the channel; the helper exits when its stdin closes. Resolves with its exit code. */
  async close(): Promise<number | null> {
    this.#child.stdin?.end();
    return this.#exited;
  }

  #send(message: unknown): void {
    this.#child.stdin?.write(this.#writer.frame(message));
  }

  #failAll(code: ErrorCode, message: string): void {
    for (const job of this.#jobs.values()) job.reject(new DeckhandError(code, message));
    this.#jobs.clear();
  }
}
