/**
 * Writes the diagnostics test models (core/diagnostics/test-models.ts) as .onnx files:
 * `npx tsx scripts/generate-test-models.ts [DIR]` (default out/test-models, which git ignores; tests
 * build the models in memory instead of reading committed files). No Python needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_MODEL_NAMES, buildTestModel } from '../core/diagnostics/test-models';

const dir = process.argv[2] ?? join('out', 'test-models');
mkdirSync(dir, { recursive: true });
for (const name of TEST_MODEL_NAMES) {
  const bytes = buildTestModel(name);
  writeFileSync(join(dir, `${name}.onnx`), bytes);
  process.stdout.write(`${join(dir, `${name}.onnx`)}  ${bytes.length} bytes\n`);
}
