/**
 * Model targets for diagnostics tests: the generated test models (core/diagnostics/test-models.ts)
 * signed into a real bundle with HQ's tooling (with their SLOs), and put on an agent through the
 * device protocol (main/services/diagnostics/model-provisioning.ts) — not through deploy.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { targetCustomSchema } from '../../core/bundle/target-info';
import { buildTestModel, type TestModelName } from '../../core/diagnostics/test-models';
import type { Slo } from '../../core/diagnostics/verdict';
import type { AgentClient } from '../../main/adapters/agent-client/agent-client';
import { createBundle } from '../../main/services/bundles/bundle-writer';
import { initKeyRing } from '../../main/services/bundles/key-ring';
import { provisionModels, type ModelFile } from '../../main/services/diagnostics/model-provisioning';
import { LAB_HARDWARE } from './agent-lab';

/** A model to sign. */
export interface ModelSpec {
  readonly model: TestModelName;
  /** Target name (default: the model's). */
  readonly name?: string;
  readonly version?: string;
  readonly slo?: Slo;
}

/** A signed bundle of test models. */
export interface ModelBundle {
  readonly bundleFile: string;
  readonly rootFile: string;
  readonly models: readonly ModelFile[];
}

/** SLOs the tests use: generous for mlp/conv, tight p95 for slow, tight error rate for flaky. */
export const TEST_SLOS: Readonly<Record<TestModelName, Slo>> = {
  mlp: { p95Ms: 2000, maxErrorRate: 0.01, minThroughput: 1 },
  conv: { p95Ms: 2000, maxErrorRate: 0.01 },
  slow: { p95Ms: 20, maxErrorRate: 0.01 },
  flaky: { p95Ms: 2000, maxErrorRate: 0.05 },
  heavy: { p95Ms: 2000, maxErrorRate: 0.01 },
};

/** Writes the models and signs them into `dir/models.dhb` with fresh HQ keys in `dir/keys`. */
export async function makeModelBundle(
  dir: string,
  specs: readonly ModelSpec[],
  hardware: readonly string[] = [LAB_HARDWARE],
): Promise<ModelBundle> {
  const keysDir = join(dir, 'keys');
  const now = new Date();
  const ring = initKeyRing(keysDir, { rootExpires: new Date(now.getTime() + 365 * 86_400_000) });
  const filesDir = join(dir, 'model-files');
  mkdirSync(filesDir, { recursive: true });
  const inputs = specs.map((spec) => {
    const name = spec.name ?? spec.model;
    const file = join(filesDir, `${name}.onnx`);
    writeFileSync(file, buildTestModel(spec.model));
    return {
      file,
      custom: targetCustomSchema.parse({
        kind: 'model',
        name,
        version: spec.version ?? '1.0.0',
        hardware: [...hardware],
        ...(spec.slo ? { slo: spec.slo } : {}),
      }),
    };
  });
  const bundleFile = join(dir, 'models.dhb');
  const created = await createBundle({
    ring,
    out: bundleFile,
    expires: new Date(now.getTime() + 30 * 86_400_000),
    now,
    targets: inputs,
  });
  const models = inputs.map((input) => ({
    file: input.file,
    target: created.targets.find((t) => t.custom.name === input.custom.name) as ModelFile['target'],
  }));
  return { bundleFile, rootFile: join(keysDir, 'root.json'), models };
}

/** Uploads and installs every model of the bundle on the agent behind `client`. */
export async function installModels(client: AgentClient, bundle: ModelBundle): Promise<void> {
  await provisionModels(client, bundle.bundleFile, bundle.models);
}
