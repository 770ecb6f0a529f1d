/**
 * The agent's inference server: the Open Inference Protocol (KServe v2) REST API over plain HTTP, as
 * Triton serves it — health (live, ready), server metadata, model metadata and readiness, infer with
 * JSON tensors or Triton's binary tensor extension, and Triton's statistics extension — for the
 * models installed on the device (model-host.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { INFERENCE_HEADER, decodeInferRequest, encodeInferResponse } from '../../core/diagnostics/oip-codec';
import type { ModelMetadata, ServerMetadata, StatisticsResponse } from '../../core/diagnostics/oip-types';
import { DeckhandError, type ErrorCode } from '../../core/result';
import type { ModelHost } from './model-host';

/** Largest request body accepted (64 MiB). */
export const MAX_INFER_BODY_BYTES = 64 * 1024 * 1024;

/** Extensions this server implements (GET /v2). */
export const SERVER_EXTENSIONS = ['binary_tensor_data', 'statistics'] as const;

/** A running inference server. */
export interface InferenceServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server on `host:port` (0: a free port). */
export async function startInferenceServer(options: {
  readonly host: string;
  readonly port: number;
  readonly models: ModelHost;
  readonly version: string;
}): Promise<InferenceServer> {
  const server: Server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res, options).catch((error: unknown) => sendError(res, error));
  });
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    host: options.host,
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const MODEL_ROUTE = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer|\/stats)?$/;

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: { models: ModelHost; version: string },
): Promise<void> {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/v2/health/live') return sendJson(res, 200, {});
  if (method === 'GET' && path === '/v2/health/ready') return sendJson(res, 200, {});
  if (method === 'GET' && (path === '/v2' || path === '/v2/')) {
    const metadata: ServerMetadata = {
      name: 'deckhand-agent',
      version: options.version,
      extensions: [...SERVER_EXTENSIONS],
    };
    return sendJson(res, 200, metadata);
  }
  if (method === 'GET' && path === '/v2/models/stats') {
    const body: StatisticsResponse = { model_stats: options.models.statistics() };
    return sendJson(res, 200, body);
  }
  const match = MODEL_ROUTE.exec(path);
  if (!match) throw new DeckhandError('not_found', `No such endpoint: ${method} ${path.slice(0, 200)}.`);
  const [, name = '', version, action] = match;
  if (action === '/ready' && method === 'GET') {
    try {
      await options.models.get(name, version);
      return sendJson(res, 200, {});
    } catch (error) {
      return sendError(res, error);
    }
  }
  if (action === '/stats' && method === 'GET') {
    const installed = options.models
      .installed()
      .some((m) => m.name === name && (version === undefined || m.version === version));
    if (!installed) throw new DeckhandError('not_found', `No model ${name} is installed on this device.`);
    const body: StatisticsResponse = { model_stats: options.models.statistics(name, version) };
    return sendJson(res, 200, body);
  }
  if (action === undefined && method === 'GET') {
    const model = await options.models.get(name, version);
    const metadata: ModelMetadata = {
      name: model.name,
      versions: [model.version],
      platform: 'onnxruntime_onnx',
      inputs: model.inputs,
      outputs: model.outputs,
    };
    return sendJson(res, 200, metadata);
  }
  if (action === '/infer' && method === 'POST') {
    const body = await readBody(req);
    const headerValue = req.headers[INFERENCE_HEADER];
    const headerLength = headerValue === undefined ? null : Number(headerValue);
    if (headerLength !== null && !Number.isInteger(headerLength))
      throw new DeckhandError('invalid_input', `${INFERENCE_HEADER} must be a byte count.`);
    const model = await options.models.get(name, version);
    const request = decodeInferRequest(body, headerLength);
    const outputs = await options.models.infer(
      model,
      request.inputs,
      request.outputs.map((o) => o.name),
    );
    const binary = new Map(request.outputs.map((o) => [o.name, o.binary]));
    const encoded = encodeInferResponse(
      {
        modelName: model.name,
        modelVersion: model.version,
        ...(request.id === undefined ? {} : { id: request.id }),
      },
      outputs,
      (output) => binary.get(output) ?? request.binaryOutput,
    );
    res.writeHead(200, {
      'content-type': encoded.contentType,
      'content-length': encoded.body.length,
      ...(encoded.headerLength === null ? {} : { [INFERENCE_HEADER]: encoded.headerLength }),
    });
    res.end(encoded.body);
    return;
  }
  throw new DeckhandError('not_found', `No such endpoint: ${method} ${path.slice(0, 200)}.`);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_INFER_BODY_BYTES) {
        reject(
          new DeckhandError(
            'message_too_large',
            `Inference requests are limited to ${MAX_INFER_BODY_BYTES} bytes.`,
          ),
        );
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  res.end(bytes);
}

/** OIP errors are `{ "error": "message" }`; the status follows the code. */
function sendError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code: ErrorCode = error instanceof DeckhandError ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, statusOf(code), { error: message });
}

function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'not_found':
      return 404;
    case 'invalid_input':
      return 400;
    case 'message_too_large':
      return 413;
    case 'bad_target':
      return 503;
    default:
      return 500;
  }
}
