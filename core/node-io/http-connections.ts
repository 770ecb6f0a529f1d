/**
 * The load generator's hot path: plain HTTP/1.1 keep-alive connections that send a request prepared
 * once (head and body in one write, Nagle off) and read the answer with a minimal parser
 * (Content-Length or chunked bodies). General HTTP clients spend far more per request than the
 * server under test on a small model, and then measure themselves; perf_analyzer and autocannon
 * avoid that the same way. One request per connection at a time (no pipelining).
 */
import { connect, type Socket } from 'node:net';

/** A raw answer. */
export interface RawHttpResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

/** Builds the bytes of a request (HTTP/1.1, keep-alive). */
export function prepareRequest(
  method: string,
  host: string,
  path: string,
  headers: Readonly<Record<string, string | number>>,
  body: Buffer,
): Buffer {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    `host: ${host}`,
    'connection: keep-alive',
    `content-length: ${body.length}`,
  ];
  for (const [name, value] of Object.entries(headers))
    if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** A pool of connections to one host:port; a request takes an idle one or opens one. */
export class HttpConnections {
  readonly #host: string;
  readonly #port: number;
  readonly #idle: HttpConnection[] = [];
  readonly #all = new Set<HttpConnection>();
  #closed = false;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  /** Sends prepared bytes and resolves with the answer; rejects on a broken connection or timeout. */
  async send(request: Buffer, timeoutMs: number): Promise<RawHttpResponse> {
    if (this.#closed) throw new Error('connections closed');
    const connection = this.#idle.pop() ?? this.#open();
    try {
      const response = await connection.send(request, timeoutMs);
      if (connection.reusable && !this.#closed) this.#idle.push(connection);
      else this.#drop(connection);
      return response;
    } catch (error) {
      this.#drop(connection);
      throw error;
    }
  }

  /** Closes every connection. */
  close(): void {
    this.#closed = true;
    for (const connection of this.#all) connection.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }

  #open(): HttpConnection {
    const connection = new HttpConnection(this.#host, this.#port);
    this.#all.add(connection);
    return connection;
  }

  #drop(connection: HttpConnection): void {
    connection.destroy();
    this.#all.delete(connection);
  }
}

/** One keep-alive connection. */
class HttpConnection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #pending: { resolve: (r: RawHttpResponse) => void; reject: (e: Error) => void } | null = null;
  #error: Error | null = null;
  reusable = true;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (error: Error): void => {
      this.reusable = false;
      this.#error ??= error;
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(error);
    };
    this.#socket.on('error', fail);
    this.#socket.on('close', () => fail(new Error('the server closed the connection')));
  }

  send(request: Buffer, timeoutMs: number): Promise<RawHttpResponse> {
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
        this.reusable = false;
        this.#pending = null;
        reject(error);
        this.#socket.destroy();
      }, timeoutMs);
      this.#pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#socket.write(request);
    });
  }

  destroy(): void {
    this.reusable = false;
    this.#socket.destroy();
  }

  #parse(): void {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0 || this.#pending === null) return;
    const head = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
    const headers = new Map<string, string>();
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const start = end + 4;
    let body: Buffer;
    let consumed: number;
    if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      const decoded = decodeChunked(this.#buffer, start);
      if (decoded === null) return;
      ({ body, consumed } = decoded);
    } else {
      const length = Number(headers.get('content-length') ?? 0);
      if (this.#buffer.length < start + length) return;
      body = this.#buffer.subarray(start, start + length);
      consumed = start + length;
    }
    this.#buffer = this.#buffer.subarray(consumed);
    if (headers.get('connection')?.toLowerCase() === 'close') this.reusable = false;
    const pending = this.#pending;
    this.#pending = null;
    pending.resolve({ status, headers, body: Buffer.from(body) });
  }
}

/** Decodes a chunked body starting at `offset`; null while incomplete. */
function decodeChunked(buffer: Buffer, offset: number): { body: Buffer; consumed: number } | null {
  const parts: Buffer[] = [];
  let at = offset;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      const trailerEnd = buffer.indexOf('\r\n', dataStart);
      if (trailerEnd < 0) return null;
      return { body: Buffer.concat(parts), consumed: trailerEnd + 2 };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
