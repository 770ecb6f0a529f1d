/**
 * An Open Inference Protocol (KServe v2 REST) client over undici's connection pool (keep-alive, one
 * request per connection at a time, like perf_analyzer and autocannon without pipelining; undici
 * costs the client far less per request than node:http, so the client is not what gets measured),
 * for the load generator on either side (the agent against its own server, the laptop over the
 * LAN) and against any other OIP server such as Triton: health, metadata, statistics, and infer
 * requests timed and classified into the load generator's outcomes.
 */
import { Pool } from 'undici';
import type { RequestOutcome } from '../diagnostics/load-generator';
import {
  INFERENCE_HEADER,
  decodeInferResponse,
  elementCount,
  encodeInferRequest,
  type EncodedMessage,
  type OipTensor,
  type TensorData,
} from '../diagnostics/oip-codec';
import type {
  ModelMetadata,
  ServerMetadata,
  StatisticsResponse,
  TensorMetadata,
} from '../diagnostics/oip-types';
import { DeckhandError } from '../result';
import { HttpConnections, prepareRequest } from './http-connections';

/** A raw answer. */
interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Client options. */
export interface OipClientOptions {
  /** Connections kept open (the load level's concurrency; default 16). */
  readonly maxSockets?: number;
  /** Time limit of the metadata calls (default 10 s). */
  readonly timeoutMs?: number;
}

/** One OIP server. */
export class OipClient {
  readonly baseUrl: URL;
  readonly #pool: Pool;
  readonly #connections: HttpConnections[] = [];
  readonly #timeoutMs: number;

  constructor(url: string, options: OipClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new DeckhandError(
        'usage',
        `"${url}" is not an inference server URL; write e.g. http://192.168.1.20:8000.`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new DeckhandError(
        'usage',
        `Inference servers are reached over http or https, not ${parsed.protocol}.`,
      );
    this.baseUrl = parsed;
    this.#pool = new Pool(parsed.origin, { connections: options.maxSockets ?? 16, pipelining: 1 });
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** GET /v2/health/live */
  async live(): Promise<boolean> {
    return (await this.#request('GET', '/v2/health/live').catch(() => null))?.status === 200;
  }

  /** GET /v2/health/ready */
  async ready(): Promise<boolean> {
    return (await this.#request('GET', '/v2/health/ready').catch(() => null))?.status === 200;
  }

  /** GET /v2 */
  async serverMetadata(): Promise<ServerMetadata> {
    return this.#json<ServerMetadata>('GET', '/v2');
  }

  /** GET /v2/models/{name} */
  async modelMetadata(name: string): Promise<ModelMetadata> {
    return this.#json<ModelMetadata>('GET', `/v2/models/${encodeURIComponent(name)}`);
  }

  /** GET /v2/models/{name}/ready */
  async modelReady(name: string): Promise<boolean> {
    const res = await this.#request('GET', `/v2/models/${encodeURIComponent(name)}/ready`).catch(() => null);
    return res?.status === 200;
  }

  /** GET /v2/models/{name}/stats (Triton statistics extension); null when the server lacks it. */
  async statistics(name: string): Promise<StatisticsResponse | null> {
    try {
      return await this.#json<StatisticsResponse>('GET', `/v2/models/${encodeURIComponent(name)}/stats`);
    } catch {
      return null;
    }
  }

  /** Sends an encoded inference request; returns the raw answer. */
  inferRaw(name: string, message: EncodedMessage, timeoutMs: number): Promise<RawResponse> {
    const headers: Record<string, string | number> = {
      'content-type': message.contentType,
      'content-length': message.body.length,
    };
    if (message.headerLength !== null) headers[INFERENCE_HEADER] = message.headerLength;
    return this.#request(
      'POST',
      `/v2/models/${encodeURIComponent(name)}/infer`,
      message.body,
      headers,
      timeoutMs,
    );
  }

  /** Runs one inference and decodes the answer (throws a coded error on failure). */
  async infer(
    name: string,
    inputs: readonly OipTensor[],
    options: { binary?: boolean } = {},
  ): Promise<OipTensor[]> {
    const message = encodeInferRequest(inputs, {
      binary: options.binary ?? false,
      binaryOutput: options.binary ?? false,
    });
    const res = await this.inferRaw(name, message, this.#timeoutMs);
    if (res.status !== 200) throw httpError(res);
    return decodeInferResponse(res.body, headerLengthOf(res)).outputs;
  }

  /**
   * A `send` for the load generator: the same request each time (inputs made from the model's
   * metadata), timed from write to last byte, the answer checked to be an inference response.
   */
  sender(
    name: string,
    inputs: readonly OipTensor[],
    options: { binary: boolean; timeoutMs: number },
  ): () => Promise<RequestOutcome> {
    const message = encodeInferRequest(inputs, { binary: options.binary, binaryOutput: options.binary });
    if (this.baseUrl.protocol === 'https:') return this.#pooledSender(name, message, options.timeoutMs);
    const headers: Record<string, string | number> = { 'content-type': message.contentType };
    if (message.headerLength !== null) headers[INFERENCE_HEADER] = message.headerLength;
    const request = prepareRequest(
      'POST',
      this.baseUrl.host,
      `${this.#prefix()}/v2/models/${encodeURIComponent(name)}/infer`,
      headers,
      message.body,
    );
    const connections = new HttpConnections(
      this.baseUrl.hostname.replace(/^\[|\]$/g, ''),
      Number(this.baseUrl.port || 80),
    );
    this.#connections.push(connections);
    return async () => {
      const started = performance.now();
      let res: { status: number; headers: ReadonlyMap<string, string>; body: Buffer };
      try {
        res = await connections.send(request, options.timeoutMs);
      } catch (error) {
        const latencyMs = performance.now() - started;
        const timedOut = (error as { code?: string }).code === 'ETIMEDOUT';
        return {
          ok: false,
          latencyMs,
          kind: timedOut ? 'timeout' : 'connection',
          message: (error as Error).message,
        };
      }
      const latencyMs = performance.now() - started;
      const headerValue = res.headers.get(INFERENCE_HEADER);
      return classify(
        {
          status: res.status,
          body: res.body,
          headerLength: headerValue === undefined ? null : Number(headerValue),
        },
        latencyMs,
      );
    };
  }

  #pooledSender(name: string, message: EncodedMessage, timeoutMs: number): () => Promise<RequestOutcome> {
    return async () => {
      const started = performance.now();
      try {
        const res = await this.inferRaw(name, message, timeoutMs);
        return classify(
          { status: res.status, body: res.body, headerLength: headerLengthOf(res) },
          performance.now() - started,
        );
      } catch (error) {
        const latencyMs = performance.now() - started;
        const code = error instanceof DeckhandError ? error.code : 'link_lost';
        return {
          ok: false,
          latencyMs,
          kind: code === 'timeout' ? 'timeout' : 'connection',
          message: (error as Error).message,
        };
      }
    };
  }

  #prefix(): string {
    return this.baseUrl.pathname.replace(/\/$/, '');
  }

  /** Closes kept-alive connections. */
  close(): void {
    for (const connections of this.#connections.splice(0)) connections.close();
    void this.#pool.destroy().catch(() => undefined);
  }

  async #json<T>(method: 'GET', path: string): Promise<T> {
    const res = await this.#request(method, path);
    if (res.status !== 200) throw httpError(res);
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch {
      throw new DeckhandError('protocol_error', `${this.baseUrl.origin}${path} did not answer with JSON.`);
    }
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body?: Buffer,
    headers: Record<string, string | number> = {},
    timeoutMs = this.#timeoutMs,
  ): Promise<RawResponse> {
    const prefix = this.#prefix();
    try {
      const res = await this.#pool.request({
        path: `${prefix}${path}`,
        method,
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
        ...(body === undefined ? {} : { body }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return {
        status: res.statusCode,
        headers: res.headers,
        body: Buffer.from(await res.body.arrayBuffer()),
      };
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
        throw new DeckhandError(
          'timeout',
          `The inference server at ${this.baseUrl.host} did not answer within ${timeoutMs} ms.`,
        );
      throw new DeckhandError(
        'link_lost',
        `The inference server at ${this.baseUrl.host} cannot be reached (${(error as Error).message}). Check the address and that the server runs.`,
      );
    }
  }
}

/** Inputs for a model from its metadata: variable dimensions become 1, values are fixed pseudo-random. */
export function syntheticInputs(inputs: readonly TensorMetadata[], batch = 1): OipTensor[] {
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return inputs.map((meta) => {
    const shape = meta.shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : 1));
    const count = elementCount(shape);
    let data: TensorData;
    switch (meta.datatype) {
      case 'FP32':
        data = Float32Array.from({ length: count }, next);
        break;
      case 'FP64':
        data = Float64Array.from({ length: count }, next);
        break;
      case 'FP16':
        data = new Uint16Array(count).fill(0x3800); // 0.5
        break;
      case 'BYTES':
        data = Array.from({ length: count }, () => 'deckhand');
        break;
      case 'BOOL':
      case 'UINT8':
        data = Uint8Array.from({ length: count }, () => Math.floor(next() * 2));
        break;
      case 'INT8':
        data = new Int8Array(count).fill(1);
        break;
      case 'UINT16':
        data = new Uint16Array(count).fill(1);
        break;
      case 'INT16':
        data = new Int16Array(count).fill(1);
        break;
      case 'UINT32':
        data = new Uint32Array(count).fill(1);
        break;
      case 'INT32':
        data = new Int32Array(count).fill(1);
        break;
      case 'UINT64':
        data = new BigUint64Array(count).fill(1n);
        break;
      case 'INT64':
        data = new BigInt64Array(count).fill(1n);
        break;
      default: {
        const never: never = meta.datatype;
        throw new Error(`unknown datatype ${String(never)}`);
      }
    }
    return { name: meta.name, datatype: meta.datatype, shape, data };
  });
}

const OUTPUTS_KEY = Buffer.from('"outputs"');

/**
 * What an answer means for the load generator. A 200 must look like an inference response: a JSON
 * header that names outputs (the tensors themselves are not decoded, as autocannon and perf_analyzer
 * do not; the server's own tests check them).
 */
function classify(
  res: { status: number; body: Buffer; headerLength: number | null },
  latencyMs: number,
): RequestOutcome {
  if (res.status >= 500) return { ok: false, latencyMs, kind: 'http_5xx', message: errorText(res) };
  if (res.status !== 200) return { ok: false, latencyMs, kind: 'http_4xx', message: errorText(res) };
  // A cheap check of the JSON header, not a parse: the client must cost far less than the server.
  const end = res.headerLength ?? res.body.length;
  const header = res.body.subarray(0, end);
  if (header[0] !== 0x7b || header.indexOf(OUTPUTS_KEY) < 0)
    return { ok: false, latencyMs, kind: 'invalid_response' };
  return { ok: true, latencyMs };
}

function headerLengthOf(res: RawResponse): number | null {
  const value = res.headers[INFERENCE_HEADER];
  return typeof value === 'string' ? Number(value) : null;
}

function errorText(res: { status: number; body: Buffer }): string {
  try {
    const parsed = JSON.parse(res.body.toString('utf8')) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error.slice(0, 300);
  } catch {
    // not JSON
  }
  return `HTTP ${res.status}`;
}

function httpError(res: RawResponse): DeckhandError {
  const message = errorText(res);
  return new DeckhandError(
    res.status === 404 ? 'not_found' : res.status === 400 ? 'invalid_input' : 'protocol_error',
    message,
  );
}
