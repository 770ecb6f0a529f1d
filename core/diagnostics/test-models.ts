/**
 * Small ONNX models for diagnostics tests and the demo, built in code (onnx-proto, no Python): an MLP,
 * a convolutional net, and two fault-injecting variants of the MLP — `slow` (the server delays each
 * request) and `flaky` (the server fails a share of requests) — so that SLO failures can be tested.
 * The faults are declared in the model's metadata_props (`deckhand.fault.*`), which the agent's
 * inference server honours (agent/inference/model-host.ts); real models never carry them.
 * Weights come from a seeded PRNG, so every build of a model is byte-identical.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS (`module.exports = $root`): Node's ESM loader sees only its default export.
const { onnx } = onnxProto;
type OnnxGraph = OnnxTypes.IGraphProto;
type OnnxNode = OnnxTypes.INodeProto;
type OnnxValueInfo = OnnxTypes.IValueInfoProto;
type OnnxTensor = OnnxTypes.ITensorProto;

/** The test models `scripts/generate-test-models.ts` writes. */
export const TEST_MODEL_NAMES = ['mlp', 'conv', 'slow', 'flaky', 'heavy'] as const;
/** A test model's name. */
export type TestModelName = (typeof TEST_MODEL_NAMES)[number];

/** Metadata keys of fault injection (read by the agent's inference server). */
export const FAULT_DELAY_MS = 'deckhand.fault.delayMs';
/** Share of requests (0–1) answered with a server error, spread evenly (every 1/rate-th request). */
export const FAULT_ERROR_RATE = 'deckhand.fault.errorRate';

/** What the tests know about each model: input and output names and shapes (-1: any batch). */
export const TEST_MODEL_SHAPES: Readonly<
  Record<TestModelName, { input: readonly number[]; output: readonly number[] }>
> = {
  mlp: { input: [-1, 16], output: [-1, 4] },
  conv: { input: [-1, 1, 8, 8], output: [-1, 4] },
  slow: { input: [-1, 16], output: [-1, 4] },
  flaky: { input: [-1, 16], output: [-1, 4] },
  heavy: { input: [-1, 256], output: [-1, 16] },
};

/** Options of the fault-injecting variants. */
export interface TestModelOptions {
  /** Delay per request of `slow` (default 40 ms). */
  readonly slowDelayMs?: number;
  /** Error share of `flaky` (default 0.2). */
  readonly flakyErrorRate?: number;
}

/** Builds one test model's bytes. */
export function buildTestModel(name: TestModelName, options: TestModelOptions = {}): Uint8Array {
  switch (name) {
    case 'mlp':
      return buildMlp(name, 1, []);
    case 'slow':
      return buildMlp(name, 2, [[FAULT_DELAY_MS, String(options.slowDelayMs ?? 40)]]);
    case 'flaky':
      return buildMlp(name, 3, [[FAULT_ERROR_RATE, String(options.flakyErrorRate ?? 0.2)]]);
    case 'conv':
      return buildConv();
    case 'heavy':
      return buildHeavy();
    default: {
      const never: never = name;
      throw new Error(`unknown test model ${String(never)}`);
    }
  }
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function buildMlp(name: string, seed: number, props: readonly (readonly [string, string])[]): Uint8Array {
  const random = seededRandom(seed);
  const graph = onnx.GraphProto.create({
    name,
    input: [valueInfo('input', [-1, 16])],
    output: [valueInfo('output', [-1, 4])],
    initializer: [
      floatTensor('w1', [16, 32], random),
      floatTensor('b1', [32], random),
      floatTensor('w2', [32, 4], random),
      floatTensor('b2', [4], random),
    ],
    node: [
      node('MatMul', ['input', 'w1'], ['h1']),
      node('Add', ['h1', 'b1'], ['h2']),
      node('Relu', ['h2'], ['h3']),
      node('MatMul', ['h3', 'w2'], ['h4']),
      node('Add', ['h4', 'b2'], ['output']),
    ],
  });
  return encodeModel(graph, props);
}

/**
 * A wider MLP (256 → 1536 → 1536 → 16, about 2.8 M multiply-adds and 11 MB of weights): enough work
 * per inference that the server, not the client, bounds throughput — what the load-generator
 * accuracy bench needs.
 */
function buildHeavy(): Uint8Array {
  const random = seededRandom(5);
  const graph = onnx.GraphProto.create({
    name: 'heavy',
    input: [valueInfo('input', [-1, 256])],
    output: [valueInfo('output', [-1, 16])],
    initializer: [
      floatTensor('w1', [256, 1536], random),
      floatTensor('w2', [1536, 1536], random),
      floatTensor('w3', [1536, 16], random),
    ],
    node: [
      node('MatMul', ['input', 'w1'], ['h1']),
      node('Relu', ['h1'], ['h2']),
      node('MatMul', ['h2', 'w2'], ['h3']),
      node('Relu', ['h3'], ['h4']),
      node('MatMul', ['h4', 'w3'], ['output']),
    ],
  });
  return encodeModel(graph, []);
}

function buildConv(): Uint8Array {
  const random = seededRandom(4);
  const ints = (attr: string, values: number[]) =>
    onnx.AttributeProto.create({ name: attr, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
  const graph = onnx.GraphProto.create({
    name: 'conv',
    input: [valueInfo('input', [-1, 1, 8, 8])],
    output: [valueInfo('output', [-1, 4])],
    initializer: [floatTensor('k', [4, 1, 3, 3], random), floatTensor('kb', [4], random)],
    node: [
      onnx.NodeProto.create({
        opType: 'Conv',
        input: ['input', 'k', 'kb'],
        output: ['c1'],
        attribute: [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])],
      }),
      node('Relu', ['c1'], ['c2']),
      node('GlobalAveragePool', ['c2'], ['c3']),
      node('Flatten', ['c3'], ['output']),
    ],
  });
  return encodeModel(graph, []);
}

function encodeModel(graph: OnnxGraph, props: readonly (readonly [string, string])[]): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'deckhand-test-models',
    producerVersion: '1',
    graph,
    metadataProps: props.map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

function node(opType: string, input: string[], output: string[]): OnnxNode {
  return onnx.NodeProto.create({ opType, input, output, name: output[0] ?? opType });
}

function valueInfo(name: string, shape: readonly number[]): OnnxValueInfo {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: shape.map((d) => (d < 0 ? { dimParam: 'batch' } : { dimValue: d })) },
      },
    },
  });
}

function floatTensor(name: string, dims: number[], random: () => number): OnnxTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, () => random() - 0.5);
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(values.buffer),
  });
}

/** mulberry32: deterministic weights. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
