/** OIP inference messages: JSON and Triton's binary extension, every data type, and bad input. */
import { describe, expect, it } from 'vitest';
import {
  decodeInferRequest,
  decodeInferResponse,
  encodeInferRequest,
  encodeInferResponse,
  type OipTensor,
} from '../../../../core/diagnostics/oip-codec';
import { readModelMetadataProps } from '../../../../core/diagnostics/onnx-metadata';
import { buildTestModel, FAULT_ERROR_RATE } from '../../../../core/diagnostics/test-models';

const tensors: OipTensor[] = [
  { name: 'f', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1.5, -2, 3, 4]) },
  { name: 'i', datatype: 'INT64', shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) },
  { name: 'b', datatype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) },
  { name: 's', datatype: 'BYTES', shape: [2], data: ['héllo', ''] },
  { name: 'u', datatype: 'UINT16', shape: [1], data: Uint16Array.from([65535]) },
];

describe('OIP codec', () => {
  it.each([false, true])('round-trips every tensor (binary %s)', (binary) => {
    const message = encodeInferRequest(tensors, { binary, id: 'r1' });
    expect(message.headerLength === null).toBe(!binary);
    expect(message.contentType).toBe(binary ? 'application/octet-stream' : 'application/json');
    const decoded = decodeInferRequest(message.body, message.headerLength);
    expect(decoded.id).toBe('r1');
    expect(decoded.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual(
      tensors.map((t) => [t.name, t.datatype, t.shape]),
    );
    expect(Array.from(decoded.inputs[0]!.data as Float32Array)).toEqual([1.5, -2, 3, 4]);
    expect(Array.from(decoded.inputs[1]!.data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    expect(Array.from(decoded.inputs[2]!.data as Uint8Array)).toEqual([1, 0]);
    expect(decoded.inputs[3]!.data).toEqual(['héllo', '']);
  });

  it('accepts nested JSON data and reads binary_data_output and per-output binary_data', () => {
    const body = Buffer.from(
      JSON.stringify({
        parameters: { binary_data_output: true },
        inputs: [
          {
            name: 'x',
            shape: [2, 2],
            datatype: 'FP32',
            data: [
              [1, 2],
              [3, 4],
            ],
          },
        ],
        outputs: [{ name: 'a', parameters: { binary_data: false } }, { name: 'b' }],
      }),
    );
    const request = decodeInferRequest(body, null);
    expect(Array.from(request.inputs[0]!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(request.outputs).toEqual([
      { name: 'a', binary: false },
      { name: 'b', binary: true },
    ]);
  });

  it('encodes responses with some outputs binary, and decodes them back', () => {
    const out = encodeInferResponse(
      { modelName: 'm', modelVersion: '1' },
      tensors.slice(0, 2),
      (name) => name === 'i',
    );
    const back = decodeInferResponse(out.body, out.headerLength);
    expect(back.modelName).toBe('m');
    expect(Array.from(back.outputs[1]!.data as BigInt64Array)).toEqual([1n, -2n, 3n]);
    expect(Array.from(back.outputs[0]!.data as Float32Array)).toEqual([1.5, -2, 3, 4]);
  });

  it('refuses malformed requests with invalid_input', () => {
    const bad =
      (body: string, header: number | null = null) =>
      () =>
        decodeInferRequest(Buffer.from(body), header);
    expect(bad('not json')).toThrow(/not JSON/);
    expect(bad('{"inputs":[]}')).toThrow(/not valid/);
    expect(bad('{"inputs":[{"name":"x","shape":[3],"datatype":"FP32","data":[1]}]}')).toThrow(
      /wants 3 elements/,
    );
    expect(bad('{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["a"]}]}')).toThrow(/numbers/);
    expect(
      bad('{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]}', 99),
    ).toThrow(/larger than the body/);
    const header =
      '{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":8}}]}';
    expect(() =>
      decodeInferRequest(Buffer.concat([Buffer.from(header), Buffer.alloc(4)]), header.length),
    ).toThrow(/fewer follow/);
    expect(() =>
      decodeInferRequest(Buffer.concat([Buffer.from(header), Buffer.alloc(12)]), header.length),
    ).toThrow(/more binary data/);
  });
});

describe('test models', () => {
  it('are byte-identical on every build and declare their faults in metadata_props', () => {
    expect(Buffer.from(buildTestModel('mlp')).equals(Buffer.from(buildTestModel('mlp')))).toBe(true);
    expect(readModelMetadataProps(buildTestModel('mlp')).size).toBe(0);
    expect(readModelMetadataProps(buildTestModel('flaky')).get(FAULT_ERROR_RATE)).toBe('0.2');
    expect(
      readModelMetadataProps(buildTestModel('slow', { slowDelayMs: 75 })).get('deckhand.fault.delayMs'),
    ).toBe('75');
    expect(() => readModelMetadataProps(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow();
  });
});
