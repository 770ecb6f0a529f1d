/** DeployTargets for installer tests: a real file with its hash, and the install method and params. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DeployTarget } from '../../main/services/deploy/device-session';

/** Describes `filePath` as a release target installed by `method` with `params`. */
export function updaterTarget(
  filePath: string,
  name: string,
  version: string,
  method: string,
  params: Readonly<Record<string, unknown>> = {},
): DeployTarget {
  const bytes = readFileSync(filePath);
  const file = filePath.slice(filePath.lastIndexOf('/') + 1);
  return {
    path: `releases/${name}/${version}/${file}`,
    kind: 'release',
    name,
    version,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    length: bytes.length,
    filePath,
    releaseCounter: 1,
    hardware: ['lab'],
    install: { method, params },
    custom: { kind: 'release', name, version, install: { method, ...params } },
    metadata: { files: {} },
  };
}
