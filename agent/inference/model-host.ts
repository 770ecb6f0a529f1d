/**
 * The models the device serves: those the `install` verb put in `models/current`, each loaded lazily
 * into an onnxruntime-node session (CPU by default; CUDA/TensorRT first where their provider
 * libraries are present), with Triton-style cumulative statistics (counts and nanoseconds per phase)
 * and the test-only fault injection that `core/diagnostics/test-models.ts` declares in a model's
 * metadata (a delay per request, a share of failed requests).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { FAULT_DELAY_MS, FAULT_ERROR_RATE } from '../../core/diagnostics/test-models';
import { readModelMetadataProps } from '../../core/diagnostics/onnx-metadata';
import type { OipDatatype, OipTensor, TensorData } from '../../core/diagnostics/oip-codec';
import type { ModelStatistics, TensorMetadata } from '../../core/diagnostics/oip-types';
import { DeckhandError } from '../../core/result';
import { currentModels } from '../slot-installer';

type Ort = typeof OrtModule;

/** Execution provider preference: `auto` tries the GPU providers whose libraries are installed. */
export type ExecutionProviderChoice = 'auto' | 'cpu' | 'cuda' | 'tensorrt';

/** How the host loads models. */
export interface ModelHostOptions {
  /** The agent's state folder (models live in `models/current`). */
  readonly stateDir: string;
  /** Default `auto` (env DECKHAND_INFERENCE_EP overrides). */
  readonly executionProvider?: ExecutionProviderChoice;
  /** Threads per inference (default: onnxruntime's choice; tests use 1). */
  readonly intraOpNumThreads?: number;
  readonly onLog?: (line: string) => void;
}

/** A loaded model. */
export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** The execution provider the session was created with. */
  readonly executionProvider: string;
  readonly session: InferenceSession;
  readonly faults: { readonly delayMs: number; readonly errorRate: number };
}

interface PhaseCounter {
  count: number;
  ns: bigint;
}

interface Counters {
  inferenceCount: number;
  executionCount: number;
  lastInference: number;
  success: PhaseCounter;
  fail: PhaseCounter;
  queue: PhaseCounter;
  computeInput: PhaseCounter;
  computeInfer: PhaseCounter;
  computeOutput: PhaseCounter;
  requests: number;
}

/** Loads, runs and accounts for the device's models. */
export class ModelHost {
  readonly #o: ModelHostOptions;
  readonly #loaded = new Map<string, Promise<LoadedModel>>();
  readonly #counters = new Map<string, Counters>();
  #ort: Ort | null = null;

  constructor(options: ModelHostOptions) {
    this.#o = options;
  }

  /** The models installed now (name, version, sha256). */
  installed(): { name: string; version: string; sha256: string }[] {
    return currentModels(this.#o.stateDir);
  }

  /** The model called `name` (and `version` when given), loaded; throws not_found. */
  async get(name: string, version?: string): Promise<LoadedModel> {
    const entry = this.installed().find((m) => m.name === name);
    if (!entry || (version !== undefined && version !== entry.version))
      throw new DeckhandError(
        'not_found',
        `No model ${name}${version === undefined ? '' : ` version ${version}`} is installed on this device. Deploy it first.`,
      );
    const key = entry.sha256;
    let loading = this.#loaded.get(key);
    if (!loading) {
      loading = this.#load(entry);
      this.#loaded.set(key, loading);
      loading.catch(() => this.#loaded.delete(key));
    }
    return loading;
  }

  /** Runs one inference; counts it in the statistics either way. */
  async infer(
    model: LoadedModel,
    inputs: readonly OipTensor[],
    wanted: readonly string[],
  ): Promise<OipTensor[]> {
    const counters = this.#countersOf(model);
    const started = process.hrtime.bigint();
    counters.requests += 1;
    const request = counters.requests;
    try {
      const ort = await this.#runtime();
      const feeds: Record<string, Tensor> = {};
      for (const input of inputs) {
        const meta = model.inputs.find((m) => m.name === input.name);
        if (!meta)
          throw new DeckhandError('invalid_input', `Model ${model.name} has no input called ${input.name}.`);
        if (meta.datatype !== input.datatype)
          throw new DeckhandError(
            'invalid_input',
            `Input ${input.name} of ${model.name} is ${meta.datatype}, not ${input.datatype}.`,
          );
        feeds[input.name] = new ort.Tensor(ortType(input.datatype), input.data as never, [...input.shape]);
      }
      for (const meta of model.inputs)
        if (!(meta.name in feeds))
          throw new DeckhandError('invalid_input', `Input ${meta.name} of ${model.name} is missing.`);
      const inputDone = process.hrtime.bigint();
      if (model.faults.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, model.faults.delayMs));
      if (injectFailure(request, model.faults.errorRate))
        throw new DeckhandError(
          'internal',
          `Injected failure of test model ${model.name} (request ${request}).`,
        );
      const names = wanted.length > 0 ? wanted : model.outputs.map((o) => o.name);
      for (const name of names)
        if (!model.outputs.some((o) => o.name === name))
          throw new DeckhandError('invalid_input', `Model ${model.name} has no output called ${name}.`);
      const results = await model.session.run(feeds, names);
      const inferDone = process.hrtime.bigint();
      const outputs = names.map((name) => fromOrt(name, results[name] as Tensor));
      const done = process.hrtime.bigint();
      const batch = inputs[0]?.shape[0] ?? 1;
      counters.inferenceCount += batch;
      counters.executionCount += 1;
      counters.lastInference = Date.now();
      add(counters.success, done - started);
      add(counters.queue, 0n);
      add(counters.computeInput, inputDone - started);
      add(counters.computeInfer, inferDone - inputDone);
      add(counters.computeOutput, done - inferDone);
      return outputs;
    } catch (error) {
      add(counters.fail, process.hrtime.bigint() - started);
      throw error;
    }
  }

  /** Cumulative statistics (Triton's statistics extension), for one model or all that ran. */
  statistics(name?: string, version?: string): ModelStatistics[] {
    const out: ModelStatistics[] = [];
    for (const [key, c] of this.#counters) {
      const [modelName, modelVersion] = key.split('\u0000') as [string, string];
      if (name !== undefined && modelName !== name) continue;
      if (version !== undefined && modelVersion !== version) continue;
      const phase = (p: PhaseCounter) => ({ count: p.count, ns: Number(p.ns) });
      out.push({
        name: modelName,
        version: modelVersion,
        last_inference: c.lastInference,
        inference_count: c.inferenceCount,
        execution_count: c.executionCount,
        inference_stats: {
          success: phase(c.success),
          fail: phase(c.fail),
          queue: phase(c.queue),
          compute_input: phase(c.computeInput),
          compute_infer: phase(c.computeInfer),
          compute_output: phase(c.computeOutput),
        },
      });
    }
    return out;
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    for (const loading of all) {
      const model = await loading.catch(() => null);
      await model?.session.release().catch(() => undefined);
    }
  }

  #countersOf(model: LoadedModel): Counters {
    const key = `${model.name}\u0000${model.version}`;
    let c = this.#counters.get(key);
    if (!c) {
      const zero = (): PhaseCounter => ({ count: 0, ns: 0n });
      c = {
        inferenceCount: 0,
        executionCount: 0,
        lastInference: 0,
        success: zero(),
        fail: zero(),
        queue: zero(),
        computeInput: zero(),
        computeInfer: zero(),
        computeOutput: zero(),
        requests: 0,
      };
      this.#counters.set(key, c);
    }
    return c;
  }

  async #runtime(): Promise<Ort> {
    // Loaded on first use: agents without models never load the native runtime.
    this.#ort ??= (await import('onnxruntime-node')) as Ort;
    return this.#ort;
  }

  async #load(entry: { name: string; version: string; sha256: string }): Promise<LoadedModel> {
    const path = join(this.#o.stateDir, 'models', 'current', entry.name);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new DeckhandError(
        'not_found',
        `The file of model ${entry.name} is missing on the device; deploy it again.`,
      );
    const bytes = readFileSync(path);
    let props: Map<string, string>;
    try {
      props = readModelMetadataProps(bytes);
    } catch {
      throw new DeckhandError(
        'bad_target',
        `Model ${entry.name} ${entry.version} is not an ONNX model this device can read.`,
      );
    }
    const ort = await this.#runtime();
    const choice = this.#o.executionProvider ?? envProvider() ?? 'auto';
    const candidates = providerCandidates(choice, ort);
    let session: InferenceSession | null = null;
    let used = 'cpu';
    let lastError: unknown = null;
    for (const provider of candidates) {
      try {
        session = await ort.InferenceSession.create(bytes, {
          executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
          ...(this.#o.intraOpNumThreads === undefined
            ? {}
            : { intraOpNumThreads: this.#o.intraOpNumThreads }),
        });
        used = provider;
        break;
      } catch (error) {
        lastError = error;
        this.#o.onLog?.(
          `model ${entry.name}: execution provider ${provider} unavailable (${(error as Error).message})`,
        );
      }
    }
    if (!session)
      throw new DeckhandError(
        'bad_target',
        `Model ${entry.name} ${entry.version} could not be loaded: ${(lastError as Error)?.message ?? 'unknown error'}.`,
      );
    const delayMs = Number(props.get(FAULT_DELAY_MS) ?? 0);
    const errorRate = Number(props.get(FAULT_ERROR_RATE) ?? 0);
    if (delayMs > 0 || errorRate > 0)
      this.#o.onLog?.(
        `model ${entry.name} is a test model with injected faults (delay ${delayMs} ms, error rate ${errorRate})`,
      );
    this.#o.onLog?.(`model ${entry.name} ${entry.version} loaded on ${used}`);
    return {
      ...entry,
      inputs: session.inputMetadata.map(tensorMetadata),
      outputs: session.outputMetadata.map(tensorMetadata),
      executionProvider: used,
      session,
      faults: {
        delayMs: Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0,
        errorRate: Number.isFinite(errorRate) ? Math.min(1, Math.max(0, errorRate)) : 0,
      },
    };
  }
}

/** Whether request number `n` (1-based) fails at `rate`: failures spread evenly, none random. */
export function injectFailure(n: number, rate: number): boolean {
  if (rate <= 0) return false;
  return Math.floor(n * rate) > Math.floor((n - 1) * rate);
}

function envProvider(): ExecutionProviderChoice | undefined {
  const value = process.env['DECKHAND_INFERENCE_EP'];
  return value === 'cpu' || value === 'cuda' || value === 'tensorrt' || value === 'auto' ? value : undefined;
}

/** The providers to try, best first; `auto` adds GPU providers whose libraries are installed. */
function providerCandidates(choice: ExecutionProviderChoice, ort: Ort): string[] {
  if (choice === 'cpu') return ['cpu'];
  if (choice !== 'auto') return [choice, 'cpu'];
  const out: string[] = [];
  const binDir = ortBinaryDir();
  const supported = new Set(ort.listSupportedBackends().map((b) => b.name));
  if (
    binDir !== null &&
    supported.has('tensorrt') &&
    existsSync(join(binDir, 'libonnxruntime_providers_tensorrt.so'))
  )
    out.push('tensorrt');
  if (
    binDir !== null &&
    supported.has('cuda') &&
    existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'))
  )
    out.push('cuda');
  out.push('cpu');
  return out;
}

/** Folder of onnxruntime-node's native binding (where CUDA provider libraries are installed). */
function ortBinaryDir(): string | null {
  try {
    const pkg = realpathSync(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

function tensorMetadata(meta: InferenceSession.ValueMetadata): TensorMetadata {
  if (!meta.isTensor) return { name: meta.name, datatype: 'BYTES', shape: [] };
  return {
    name: meta.name,
    datatype: oipType(meta.type),
    shape: meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)),
  };
}

const ORT_TYPES: Record<OipDatatype, Tensor.Type> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

function ortType(datatype: OipDatatype): Tensor.Type {
  return ORT_TYPES[datatype];
}

function oipType(type: string): OipDatatype {
  const found = (Object.entries(ORT_TYPES) as [OipDatatype, string][]).find(([, t]) => t === type);
  return found?.[0] ?? 'BYTES';
}

function fromOrt(name: string, tensor: Tensor): OipTensor {
  const datatype = oipType(tensor.type);
  const data = (
    datatype === 'BOOL' ? Uint8Array.from(tensor.data as ArrayLike<number>) : tensor.data
  ) as TensorData;
  return { name, datatype, shape: tensor.dims.map(Number), data };
}

function add(counter: PhaseCounter, ns: bigint): void {
  counter.count += 1;
  counter.ns += ns;
}
