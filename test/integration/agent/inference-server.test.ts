/**
 * The agent's Open Inference Protocol server, end to end over HTTP against real onnxruntime sessions:
 * models are signed into a bundle and installed through the device protocol, then health, metadata,
 * JSON and binary inference, statistics, errors and the fault-injecting test models are checked.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  INFERENCE_HEADER,
  decodeInferResponse,
  encodeInferRequest,
} from '../../../core/diagnostics/oip-codec';
import type { ModelMetadata, ServerMetadata, StatisticsResponse } from '../../../core/diagnostics/oip-types';
import { OipClient, syntheticInputs } from '../../../core/node-io/oip-client';
import type { RunningAgent } from '../../../agent/run-agent';
import { runAgent } from '../../../agent/run-agent';
import type { AgentClient } from '../../../main/adapters/agent-client/agent-client';
import { LAB_HARDWARE, connectTo } from '../../support/agent-lab';
import { installModels, makeModelBundle, type ModelBundle } from '../../support/model-lab';
import { useTempDirs } from '../../support/temp-dir';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tempDir = useTempDirs();
let bundle: ModelBundle;
let agent: RunningAgent | null = null;
let client: AgentClient | null = null;

beforeAll(async () => {
  bundle = await makeModelBundle(mkdtempSync(join(tmpdir(), 'deckhand-models-')), [
    { model: 'mlp' },
    { model: 'conv' },
    { model: 'slow' },
    { model: 'flaky' },
  ]);
});

afterEach(async () => {
  client?.close();
  client = null;
  await agent?.close();
  agent = null;
});

async function agentWithModels(): Promise<{ url: string; oip: OipClient }> {
  agent = await runAgent({
    stateDir: tempDir(),
    listen: '127.0.0.1:0',
    hardware: LAB_HARDWARE,
    serialNumber: 'SN-OIP-1',
    trustRoot: bundle.rootFile,
    inference: { intraOpNumThreads: 1 },
    sampler: null,
  });
  client = await connectTo(agent.address?.port ?? 0, agent.fingerprint);
  await installModels(client, bundle);
  const url = agent.inferenceUrl as string;
  return { url, oip: new OipClient(url) };
}

async function get(url: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}

describe('agent inference server (OIP v2 REST)', () => {
  it('answers health, server metadata, model metadata and readiness', async () => {
    const { url } = await agentWithModels();
    expect((await get(`${url}/v2/health/live`)).status).toBe(200);
    expect((await get(`${url}/v2/health/ready`)).status).toBe(200);
    const server = (await get(`${url}/v2`)).json as ServerMetadata;
    expect(server.name).toBe('deckhand-agent');
    expect(server.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'statistics']));
    const meta = (await get(`${url}/v2/models/conv`)).json as ModelMetadata;
    expect(meta).toMatchObject({
      name: 'conv',
      versions: ['1.0.0'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 8, 8] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 4] }],
    });
    expect((await get(`${url}/v2/models/conv/ready`)).status).toBe(200);
    expect((await get(`${url}/v2/models/conv/versions/1.0.0/ready`)).status).toBe(200);
    const missing = await get(`${url}/v2/models/nope/ready`);
    expect(missing.status).toBe(404);
    expect((missing.json as { error: string }).error).toMatch(/nope/);
  });

  it('infers with JSON tensors and with binary tensors, with the same results', async () => {
    const { url, oip } = await agentWithModels();
    const inputs = syntheticInputs([{ name: 'input', datatype: 'FP32', shape: [-1, 16] }], 3);
    const viaJson = await oip.infer('mlp', inputs);
    const viaBinary = await oip.infer('mlp', inputs, { binary: true });
    expect(viaJson[0]?.shape).toEqual([3, 4]);
    expect(Array.from(viaBinary[0]?.data as Float32Array)).toEqual(
      Array.from(viaJson[0]?.data as Float32Array),
    );

    // The wire format itself: binary request with a binary output asked for by name.
    const message = encodeInferRequest(inputs, { binary: true });
    const header = JSON.parse(message.body.subarray(0, message.headerLength ?? 0).toString()) as Record<
      string,
      unknown
    >;
    header['outputs'] = [{ name: 'output', parameters: { binary_data: true } }];
    const headerBytes = Buffer.from(JSON.stringify(header));
    const body = Buffer.concat([headerBytes, message.body.subarray(message.headerLength ?? 0)]);
    const res = await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER]: String(headerBytes.length) },
      body,
    });
    expect(res.status).toBe(200);
    const headerLength = Number(res.headers.get(INFERENCE_HEADER));
    const raw = Buffer.from(await res.arrayBuffer());
    expect(raw.length - headerLength).toBe(3 * 4 * 4);
    const decoded = decodeInferResponse(raw, headerLength);
    expect(decoded.modelName).toBe('mlp');
    expect(Array.from(decoded.outputs[0]?.data as Float32Array)).toEqual(
      Array.from(viaJson[0]?.data as Float32Array),
    );
  });

  it('refuses bad requests with 400 and a reason', async () => {
    const { url } = await agentWithModels();
    const wrongShape = await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 16], datatype: 'FP32', data: [1, 2] }] }),
    });
    expect(wrongShape.status).toBe(400);
    const wrongName = await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }),
    });
    expect(wrongName.status).toBe(400);
    expect(((await wrongName.json()) as { error: string }).error).toMatch(/no input called x/);
    const short = await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      headers: { [INFERENCE_HEADER]: '5000' },
      body: '{}',
    });
    expect(short.status).toBe(400);
  });

  it('keeps cumulative statistics per model (counts and nanoseconds)', async () => {
    const { url, oip } = await agentWithModels();
    const inputs = syntheticInputs([{ name: 'input', datatype: 'FP32', shape: [-1, 16] }], 2);
    for (let i = 0; i < 5; i += 1) await oip.infer('mlp', inputs);
    await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"input","shape":[1,16],"datatype":"FP32","data":[1]}]}',
    });
    const stats = (await get(`${url}/v2/models/mlp/stats`)).json as StatisticsResponse;
    const mlp = stats.model_stats[0];
    expect(mlp).toMatchObject({ name: 'mlp', version: '1.0.0', inference_count: 10, execution_count: 5 });
    expect(mlp?.inference_stats.success.count).toBe(5);
    expect(mlp?.inference_stats.success.ns).toBeGreaterThan(0);
    expect(mlp?.inference_stats.compute_infer.count).toBe(5);
    expect(mlp?.last_inference).toBeGreaterThan(0);
    const all = (await get(`${url}/v2/models/stats`)).json as StatisticsResponse;
    expect(all.model_stats.map((s) => s.name)).toContain('mlp');
  });

  it('serves the fault-injecting test models: slow answers late, flaky fails a fifth of requests', async () => {
    const { oip } = await agentWithModels();
    const inputs = syntheticInputs([{ name: 'input', datatype: 'FP32', shape: [-1, 16] }]);
    const slow = oip.sender('slow', inputs, { binary: false, timeoutMs: 5000 });
    const outcome = await slow();
    expect(outcome.ok).toBe(true);
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(39);
    const flaky = oip.sender('flaky', inputs, { binary: true, timeoutMs: 5000 });
    const outcomes = [];
    for (let i = 0; i < 20; i += 1) outcomes.push(await flaky());
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(4);
    expect(outcomes.filter((o) => !o.ok).every((o) => !o.ok && o.kind === 'http_5xx')).toBe(true);
  });

  it('answers the diagnostics info verb with the server address and installed models', async () => {
    await agentWithModels();
    const info = await client?.call('diagnostics', { action: 'info' });
    expect(info).toMatchObject({ action: 'info', inferenceUrl: agent?.inferenceUrl, samplerSource: null });
    expect(info?.action === 'info' && info.models.map((m) => m.name)).toEqual([
      'conv',
      'flaky',
      'mlp',
      'slow',
    ]);
  });
});
