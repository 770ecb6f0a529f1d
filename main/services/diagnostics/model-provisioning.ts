/**
 * Puts the model targets of a signed bundle on an agent through the device protocol (upload, then
 * install, which the device verifies against HQ's metadata itself): what the demo and the tests use
 * to have models to diagnose without the deploy engine.
 */
import { basename } from 'node:path';
import type { TargetSpec } from '../../../core/bundle/metadata-builder';
import { toMetadataSet, type VerbResults } from '../../../core/protocol/messages';
import type { AgentClient } from '../../adapters/agent-client/agent-client';
import { openBundleSource } from '../bundles/bundle-source';

/** One model file and the target it was signed as. */
export interface ModelFile {
  readonly file: string;
  readonly target: TargetSpec;
}

/** Uploads and installs each model (targets whose path starts with `models/`); returns the installs. */
export async function provisionModels(
  client: AgentClient,
  bundleFile: string,
  models: readonly ModelFile[],
): Promise<VerbResults['install'][]> {
  const source = await openBundleSource(bundleFile);
  const metadata = toMetadataSet(source.metadata);
  const installed: VerbResults['install'][] = [];
  for (const model of models) {
    if (!model.target.path.startsWith('models/') || basename(model.target.path) !== basename(model.file))
      continue;
    await client.upload(model.file, { sha256: model.target.sha256, length: model.target.length });
    installed.push(await client.install(model.target.path, metadata));
  }
  return installed;
}
