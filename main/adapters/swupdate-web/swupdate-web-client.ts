/**
 * SWUpdate's web server API (mongoose interface, SWUpdate 2022.12): a .swu is sent as a multipart
 * POST to /upload and installed while it streams in; what happens is broadcast as JSON on the /ws
 * websocket (`status`, `step`, `message`, `info`, `source`). POST /restart runs the daemon's
 * post-update command (`swupdate -p`), normally a reboot.
 *
 * The upload is sent with a Content-Length computed up front: SWUpdate's web server does not accept a
 * chunked request body, which is what fetch() sends for a FormData with a file stream.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request, type ClientRequest } from 'node:http';
import { basename } from 'node:path';
import WebSocket from 'ws';
import { DeckhandError } from '../../../core/result';

/** How long error messages are still collected after a FAILURE status. */
const FAILURE_GRACE_MS = 500;
/** One message from SWUpdate's websocket, as it sends it (all values are strings). */
export type SwupdateWsMessage =
  | { readonly type: 'status'; readonly status: string }
  | {
      readonly type: 'step';
      readonly number: string;
      readonly step: string;
      readonly name: string;
      readonly percent: string;
    }
  | { readonly type: 'message'; readonly level: string; readonly text: string }
  | { readonly type: 'info'; readonly source: string }
  | { readonly type: 'source'; readonly source: string };

/** Parses one websocket frame; null for anything that is not one of SWUpdate's messages. */
export function parseSwupdateWsMessage(text: string): SwupdateWsMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const str = (key: string): string | null =>
    typeof record[key] === 'string' ? (record[key] as string) : null;
  switch (record['type']) {
    case 'status': {
      const status = str('status');
      return status === null ? null : { type: 'status', status };
    }
    case 'step':
      return {
        type: 'step',
        number: str('number') ?? '',
        step: str('step') ?? '',
        name: str('name') ?? '',
        percent: str('percent') ?? '0',
      };
    case 'message': {
      const text = str('text');
      return text === null ? null : { type: 'message', level: str('level') ?? '6', text };
    }
    case 'info':
    case 'source': {
      const source = str('source');
      return source === null ? null : { type: record['type'], source };
    }
    default:
      return null;
  }
}

/** What SWUpdate said about one install. */
export interface SwupdateWebResult {
  readonly outcome: 'success' | 'failure';
  /** Its error messages (level 3 and below), in order. */
  readonly errors: readonly string[];
}

/** The websocket of one SWUpdate daemon. */
export class SwupdateWebEvents {
  readonly #socket: WebSocket;
  readonly #listeners = new Set<(message: SwupdateWsMessage) => void>();
  #closedWith: DeckhandError | null = null;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data) => {
      const message = parseSwupdateWsMessage(data.toString());
      if (message !== null) for (const listener of [...this.#listeners]) listener(message);
    });
    socket.on('close', () => {
      this.#closedWith ??= new DeckhandError(
        'link_lost',
        "SWUpdate's websocket closed: the device went away.",
      );
      for (const listener of [...this.#listeners]) listener({ type: 'status', status: '__closed' });
    });
    socket.on('error', () => {
      // 'close' follows and reports the loss.
    });
  }

  /** Opens ws://host:port/ws. */
  static open(host: string, port: number, timeoutMs: number): Promise<SwupdateWebEvents> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://${host.includes(':') ? `[${host}]` : host}:${port}/ws`, {
        handshakeTimeout: timeoutMs,
      });
      socket.once('open', () => resolve(new SwupdateWebEvents(socket)));
      socket.once('error', (error) =>
        reject(
          new DeckhandError(
            'link_lost',
            `SWUpdate's web server at ${host}:${port} does not answer (${error.message}). Check that the device is on and swupdate runs with -w.`,
          ),
        ),
      );
    });
  }

  /** Calls `listener` with every message until the returned function is called. */
  subscribe(listener: (message: SwupdateWsMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Collects the result of the install that starts now: the first SUCCESS or FAILURE status, with the
   * error messages seen until then. `onStep` gets each image's percent.
   */
  nextResult(
    onStep: (step: { readonly index: number; readonly total: number; readonly percent: number }) => void,
  ): {
    readonly result: Promise<SwupdateWebResult>;
    readonly cancel: () => void;
  } {
    const errors: string[] = [];
    let unsubscribe = (): void => {};
    const result = new Promise<SwupdateWebResult>((resolve, reject) => {
      if (this.#closedWith !== null) {
        reject(this.#closedWith);
        return;
      }
      unsubscribe = this.subscribe((message) => {
        switch (message.type) {
          case 'message':
            if (Number(message.level) <= 3) errors.push(message.text.replace(/^ERROR\s*:\s*/, ''));
            return;
          case 'step': {
            const total = Number(message.number);
            const index = Number(message.step);
            // SWUpdate sends a last step past the final image (step = number + 1) at 0 %: not progress.
            if (total > 0 && index >= 1 && index <= total)
              onStep({ index, total, percent: Math.min(100, Math.max(0, Number(message.percent) || 0)) });
            return;
          }
          case 'status':
            if (message.status === 'SUCCESS') {
              unsubscribe();
              resolve({ outcome: 'success', errors });
            } else if (message.status === 'FAILURE') {
              // SWUpdate's notifications and its status travel separately: the error lines that say
              // why can arrive just after FAILURE. Keep listening a moment so the reason is complete.
              setTimeout(() => {
                unsubscribe();
                resolve({ outcome: 'failure', errors });
              }, FAILURE_GRACE_MS);
            } else if (message.status === '__closed') {
              unsubscribe();
              reject(this.#closedWith ?? new DeckhandError('link_lost', "SWUpdate's websocket closed."));
            }
            return;
          case 'info':
          case 'source':
            return;
        }
      });
    });
    return { result, cancel: () => unsubscribe() };
  }

  close(): void {
    this.#closedWith ??= new DeckhandError('cancelled', 'The session was closed.');
    this.#socket.close();
  }
}

/** Options of one upload. */
export interface UploadSwuOptions {
  /** Called with each block of bytes written to the socket. */
  readonly onBytes: (bytes: number) => void;
  readonly signal: AbortSignal;
  /** Form field name; SWUpdate reads the first file part whatever its name. */
  readonly field?: string;
}

/** The multipart envelope around a file, so the request length is known before sending. */
export function multipartEnvelope(
  boundary: string,
  field: string,
  filename: string,
): { head: Buffer; tail: Buffer } {
  const safeName = filename.replace(/["\r\n\\]/g, '_');
  return {
    head: Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${safeName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    tail: Buffer.from(`\r\n--${boundary}--\r\n`),
  };
}

/** How an upload ended. */
export interface UploadSwuResult {
  /** Every byte of the file reached the device's socket. */
  readonly complete: boolean;
  /** The server's answer, or null when it closed the connection without one. */
  readonly response: string | null;
}

/**
 * POSTs `filePath` to http://host:port/upload as multipart/form-data with an explicit Content-Length.
 * SWUpdate 2022.12 often drops the connection without an answer once its installer has read what it
 * needs ("Writing to IPC fails due to Broken pipe" for the multipart tail), so a connection closed
 * early is no error here: the caller reads the verdict from the websocket.
 */
export async function uploadSwu(
  host: string,
  port: number,
  filePath: string,
  options: UploadSwuOptions,
): Promise<UploadSwuResult> {
  const size = (await stat(filePath)).size;
  const boundary = `----deckhand${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  const { head, tail } = multipartEnvelope(boundary, options.field ?? 'file', basename(filePath));
  return new Promise<UploadSwuResult>((resolve, reject) => {
    let settled = false;
    let sent = 0;
    const finish = (error: DeckhandError | null, body: string | null = null): void => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener('abort', onAbort);
      if (error === null) resolve({ complete: sent === size, response: body });
      else reject(error);
    };
    const req: ClientRequest = request({
      host,
      port,
      method: 'POST',
      path: '/upload',
      headers: {
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
        'Content-Length': String(head.length + size + tail.length),
      },
    });
    const onAbort = (): void => {
      req.destroy();
      finish(new DeckhandError('cancelled', 'The upload to SWUpdate was cancelled.'));
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    // A dropped connection resolves with `complete` telling how far the file got (see above).
    req.on('error', () => finish(null));
    req.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => (body += text));
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) finish(null, body);
        else
          finish(
            new DeckhandError(
              'protocol_error',
              `SWUpdate's web server answered ${status} to the upload: ${body.trim().slice(0, 200)}`,
            ),
          );
      });
    });
    req.write(head);
    const file = createReadStream(filePath, { highWaterMark: 256 * 1024 });
    file.on('error', (error) =>
      finish(new DeckhandError('not_found', `Deckhand could not read ${filePath}: ${error.message}.`)),
    );
    file.on('data', (chunk) => {
      const bytes = chunk.length;
      const written = (error?: Error | null): void => {
        if (error !== undefined && error !== null) return;
        sent += bytes;
        options.onBytes(bytes);
      };
      if (!req.write(chunk, written)) {
        file.pause();
        req.once('drain', () => file.resume());
      }
    });
    file.on('end', () => req.end(tail));
    req.on('close', () => file.destroy());
  });
}

/** POSTs /restart: SWUpdate runs its post-update command (a reboot on a real device). */
export function postRestart(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port,
      method: 'POST',
      path: '/restart',
      timeout: timeoutMs,
      headers: { 'Content-Length': '0' },
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', (error) =>
      reject(
        new DeckhandError(
          'link_lost',
          `SWUpdate at ${host}:${port} did not take the restart request: ${error.message}.`,
        ),
      ),
    );
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve());
    });
    req.end();
  });
}

/** True when SWUpdate's web server answers GET / within `timeoutMs`. */
export function webServerAnswers(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, method: 'GET', path: '/', timeout: timeoutMs });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
    req.on('response', (response) => {
      response.resume();
      resolve(true);
    });
    req.end();
  });
}
