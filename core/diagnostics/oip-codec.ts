/**
 * The Open Inference Protocol (KServe v2 REST) inference messages, shared by the agent's server and
 * the load generator's client: JSON tensors, and Triton's binary tensor extension, in which the body
 * is a JSON header of `Inference-Header-Content-Length` bytes followed by each binary tensor's raw
 * little-endian bytes in order (`parameters.binary_data_size` says how many; BYTES elements are a
 * 4-byte little-endian length then the bytes).
 * Specs: kserve.github.io/website "Open Inference Protocol (V2)"; Triton docs protocol/extension_binary_data.md.
 */
import { z } from 'zod';
import { DeckhandError, assertNever } from '../result';
import type { OipDatatype } from './oip-types';

/** The header of Triton's binary tensor extension. */
export const INFERENCE_HEADER = 'inference-header-content-length';

/** OIP tensor data types. */
export const OIP_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const satisfies readonly OipDatatype[];
export type { OipDatatype };

/** Element data of a tensor: a typed array for numbers (FP16 as raw Uint16Array), strings for BYTES. */
export type TensorData =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | string[];

/** One tensor in memory. */
export interface OipTensor {
  readonly name: string;
  readonly datatype: OipDatatype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional();

/** A request input as it travels in JSON. */
const requestInput = z.object({
  name: z.string().min(1).max(256),
  shape: z.array(z.number().int().min(0)).max(16),
  datatype: z.enum(OIP_DATATYPES),
  parameters,
  data: z.unknown().optional(),
});

/** The JSON part of an inference request. */
export const inferRequestSchema = z.object({
  id: z.string().max(256).optional(),
  parameters,
  inputs: z.array(requestInput).min(1).max(64),
  outputs: z
    .array(z.object({ name: z.string().min(1).max(256), parameters }))
    .max(64)
    .optional(),
});
/** The JSON part of an inference request. */
export type InferRequestJson = z.infer<typeof inferRequestSchema>;

/** An inference request decoded. */
export interface InferRequest {
  readonly id?: string;
  readonly inputs: readonly OipTensor[];
  /** Outputs asked for (all when empty) and whether each is wanted in binary. */
  readonly outputs: readonly { readonly name: string; readonly binary: boolean }[];
  /** `binary_data_output`: every output in binary unless it says otherwise. */
  readonly binaryOutput: boolean;
}

/** An encoded message: body bytes and the headers that go with them. */
export interface EncodedMessage {
  readonly body: Buffer;
  readonly contentType: string;
  /** Length of the JSON header when the body carries binary tensors, else null. */
  readonly headerLength: number | null;
}

/** Number of elements a shape holds. */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes per element of fixed-size types (BYTES: null). */
export function bytesPerElement(datatype: OipDatatype): number | null {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
    case 'INT8':
      return 1;
    case 'UINT16':
    case 'INT16':
    case 'FP16':
      return 2;
    case 'UINT32':
    case 'INT32':
    case 'FP32':
      return 4;
    case 'UINT64':
    case 'INT64':
    case 'FP64':
      return 8;
    case 'BYTES':
      return null;
    default:
      return assertNever(datatype);
  }
}

/** Decodes a request body (JSON, or binary with the header length given). */
export function decodeInferRequest(body: Buffer, headerLength: number | null): InferRequest {
  const { json, binary } = splitBody(body, headerLength);
  const parsed = inferRequestSchema.safeParse(json);
  if (!parsed.success)
    throw new DeckhandError(
      'invalid_input',
      `The inference request is not valid: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}.`,
    );
  const reader = new BinaryReader(binary);
  const inputs = parsed.data.inputs.map((input) => {
    const size = input.parameters?.['binary_data_size'];
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
        throw new DeckhandError(
          'invalid_input',
          `Input ${input.name}: binary_data_size must be a byte count.`,
        );
      return {
        name: input.name,
        datatype: input.datatype,
        shape: input.shape,
        data: fromBytes(input.datatype, input.shape, reader.take(size, input.name)),
      };
    }
    return {
      name: input.name,
      datatype: input.datatype,
      shape: input.shape,
      data: fromJson(input.datatype, input.shape, input.data, input.name),
    };
  });
  if (!reader.done)
    throw new DeckhandError('invalid_input', 'The request carries more binary data than its inputs declare.');
  const binaryOutput = parsed.data.parameters?.['binary_data_output'] === true;
  return {
    ...(parsed.data.id === undefined ? {} : { id: parsed.data.id }),
    inputs,
    binaryOutput,
    outputs: (parsed.data.outputs ?? []).map((o) => ({
      name: o.name,
      binary: (o.parameters?.['binary_data'] as boolean | undefined) ?? binaryOutput,
    })),
  };
}

/** Encodes a request: binary tensors when `binary`, else JSON. */
export function encodeInferRequest(
  inputs: readonly OipTensor[],
  options: { binary: boolean; binaryOutput?: boolean; id?: string },
): EncodedMessage {
  const parts: Buffer[] = [];
  const json = {
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.binaryOutput ? { parameters: { binary_data_output: true } } : {}),
    inputs: inputs.map((t) => tensorJson(t, options.binary, parts)),
  };
  return finish(json, parts, options.binary);
}

/** Encodes a response: each output in binary when asked for, else JSON. */
export function encodeInferResponse(
  response: { modelName: string; modelVersion?: string; id?: string },
  outputs: readonly OipTensor[],
  binaryFor: (name: string) => boolean,
): EncodedMessage {
  const parts: Buffer[] = [];
  const json = {
    model_name: response.modelName,
    ...(response.modelVersion === undefined ? {} : { model_version: response.modelVersion }),
    ...(response.id === undefined ? {} : { id: response.id }),
    outputs: outputs.map((t) => tensorJson(t, binaryFor(t.name), parts)),
  };
  return finish(json, parts, parts.length > 0);
}

const responseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  outputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().min(0)),
        datatype: z.enum(OIP_DATATYPES),
        parameters,
        data: z.unknown().optional(),
      }),
    )
    .optional(),
});

/** Decodes a response body (the load generator checks that an answer is a real answer). */
export function decodeInferResponse(
  body: Buffer,
  headerLength: number | null,
): { modelName: string; id?: string; outputs: OipTensor[] } {
  const { json, binary } = splitBody(body, headerLength);
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success)
    throw new DeckhandError(
      'protocol_error',
      'The server answered with something that is not an inference response.',
    );
  const reader = new BinaryReader(binary);
  const outputs = (parsed.data.outputs ?? []).map((o) => {
    const size = o.parameters?.['binary_data_size'];
    const data =
      typeof size === 'number'
        ? fromBytes(o.datatype, o.shape, reader.take(size, o.name))
        : fromJson(o.datatype, o.shape, o.data, o.name);
    return { name: o.name, datatype: o.datatype, shape: o.shape, data };
  });
  return {
    modelName: parsed.data.model_name,
    ...(parsed.data.id === undefined ? {} : { id: parsed.data.id }),
    outputs,
  };
}

function splitBody(body: Buffer, headerLength: number | null): { json: unknown; binary: Buffer } {
  const length = headerLength ?? body.length;
  if (!Number.isInteger(length) || length < 0 || length > body.length)
    throw new DeckhandError(
      'invalid_input',
      `${INFERENCE_HEADER} (${headerLength}) is larger than the body (${body.length} bytes).`,
    );
  let json: unknown;
  try {
    json = JSON.parse(body.subarray(0, length).toString('utf8')) as unknown;
  } catch {
    throw new DeckhandError('invalid_input', 'The inference request header is not JSON.');
  }
  return { json, binary: body.subarray(length) };
}

function finish(json: object, parts: readonly Buffer[], binary: boolean): EncodedMessage {
  const header = Buffer.from(JSON.stringify(json));
  if (!binary || parts.length === 0)
    return { body: header, contentType: 'application/json', headerLength: null };
  return {
    body: Buffer.concat([header, ...parts]),
    contentType: 'application/octet-stream',
    headerLength: header.length,
  };
}

function tensorJson(t: OipTensor, binary: boolean, parts: Buffer[]): object {
  if (binary) {
    const bytes = toBytes(t);
    parts.push(bytes);
    return {
      name: t.name,
      shape: t.shape,
      datatype: t.datatype,
      parameters: { binary_data_size: bytes.length },
    };
  }
  return { name: t.name, shape: t.shape, datatype: t.datatype, data: toJsonData(t) };
}

function toJsonData(t: OipTensor): unknown[] {
  const { data } = t;
  if (Array.isArray(data)) return data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, Number);
  if (t.datatype === 'BOOL') return Array.from(data as Uint8Array, (v) => v !== 0);
  return Array.from(data as ArrayLike<number>);
}

/** Raw little-endian bytes of a tensor (BYTES: length-prefixed elements). */
export function toBytes(t: OipTensor): Buffer {
  if (Array.isArray(t.data)) {
    const chunks = t.data.flatMap((s) => {
      const bytes = Buffer.from(s, 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    });
    return Buffer.concat(chunks);
  }
  const view = t.data as Exclude<TensorData, string[]>;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Typed data from raw bytes (copied, so it is aligned). */
export function fromBytes(datatype: OipDatatype, shape: readonly number[], bytes: Buffer): TensorData {
  const count = elementCount(shape);
  const width = bytesPerElement(datatype);
  if (width === null) {
    const out: string[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (offset + 4 > bytes.length)
        throw new DeckhandError('invalid_input', 'A BYTES element is cut short.');
      const length = bytes.readUInt32LE(offset);
      if (offset + 4 + length > bytes.length)
        throw new DeckhandError('invalid_input', 'A BYTES element is cut short.');
      out.push(bytes.subarray(offset + 4, offset + 4 + length).toString('utf8'));
      offset += 4 + length;
    }
    if (out.length !== count)
      throw new DeckhandError(
        'invalid_input',
        `Shape [${shape.join(',')}] wants ${count} elements; the data holds ${out.length}.`,
      );
    return out;
  }
  if (bytes.length !== count * width)
    throw new DeckhandError(
      'invalid_input',
      `Shape [${shape.join(',')}] of ${datatype} wants ${count * width} bytes; the data holds ${bytes.length}.`,
    );
  const copy = new ArrayBuffer(bytes.length);
  new Uint8Array(copy).set(bytes);
  return typedArray(datatype as Exclude<OipDatatype, 'BYTES'>, copy);
}

function typedArray(
  datatype: Exclude<OipDatatype, 'BYTES'>,
  buffer: ArrayBuffer,
): Exclude<TensorData, string[]> {
  switch (datatype) {
    case 'BOOL':
    case 'UINT8':
      return new Uint8Array(buffer);
    case 'INT8':
      return new Int8Array(buffer);
    case 'UINT16':
    case 'FP16':
      return new Uint16Array(buffer);
    case 'INT16':
      return new Int16Array(buffer);
    case 'UINT32':
      return new Uint32Array(buffer);
    case 'INT32':
      return new Int32Array(buffer);
    case 'UINT64':
      return new BigUint64Array(buffer);
    case 'INT64':
      return new BigInt64Array(buffer);
    case 'FP32':
      return new Float32Array(buffer);
    case 'FP64':
      return new Float64Array(buffer);
    default:
      return assertNever(datatype);
  }
}

/** Typed data from JSON data (flat or nested row-major, as the spec allows). */
function fromJson(datatype: OipDatatype, shape: readonly number[], data: unknown, name: string): TensorData {
  const flat = Array.isArray(data) ? (data.flat(Infinity) as unknown[]) : data === undefined ? [] : [data];
  const count = elementCount(shape);
  if (flat.length !== count)
    throw new DeckhandError(
      'invalid_input',
      `Input ${name}: shape [${shape.join(',')}] wants ${count} elements; the data holds ${flat.length}.`,
    );
  if (datatype === 'BYTES') {
    if (!flat.every((v) => typeof v === 'string'))
      throw new DeckhandError('invalid_input', `Input ${name}: BYTES data must be strings.`);
    return flat as string[];
  }
  if (datatype === 'BOOL') return Uint8Array.from(flat, (v) => (v === true || v === 1 ? 1 : 0));
  if (!flat.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw new DeckhandError('invalid_input', `Input ${name}: ${datatype} data must be numbers.`);
  const numbers = flat as number[];
  const buffer = new ArrayBuffer(count * (bytesPerElement(datatype) ?? 1));
  const out = typedArray(datatype as Exclude<OipDatatype, 'BYTES'>, buffer);
  if (out instanceof BigInt64Array || out instanceof BigUint64Array)
    numbers.forEach((v, i) => (out[i] = BigInt(Math.trunc(v))));
  else numbers.forEach((v, i) => ((out as Float64Array)[i] = v));
  return out;
}

class BinaryReader {
  readonly #bytes: Buffer;
  #offset = 0;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  take(size: number, name: string): Buffer {
    if (this.#offset + size > this.#bytes.length)
      throw new DeckhandError(
        'invalid_input',
        `Tensor ${name} declares ${size} bytes of binary data; fewer follow.`,
      );
    const slice = this.#bytes.subarray(this.#offset, this.#offset + size);
    this.#offset += size;
    return slice;
  }
  get done(): boolean {
    return this.#offset === this.#bytes.length;
  }
}
