/**
 * The demo fleet, shared by `deckhand demo`, the deploy end-to-end tests and `deckhand bench fleet`:
 * demo HQ keys and a signed demo bundle, and simulated devices (agents on loopback, in this process
 * or as their own processes). The demo root is trusted only in data folders the caller pins it in.
 *
 * The bundle holds, for every demo hardware profile:
 *   edge-app 1.0.0  release, counter 1, a plain image (install: copy)
 *   edge-app 1.1.0  release, counter 2, an archive with a passing `health` script
 *   edge-app 1.2.0  release, counter 3, an archive whose `health` script fails: it rolls back
 *   detector 1.0.0  model
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { runAgent, type RunningAgent } from '../../../agent/run-agent';
import { targetCustomSchema } from '../../../core/bundle/target-info';
import { buildTestModel } from '../../../core/diagnostics/test-models';
import { createBundle, type TargetInput } from '../../services/bundles/bundle-writer';
import { initKeyRing } from '../../services/bundles/key-ring';

/** Hardware profiles the demo devices cycle through. */
export const DEMO_HARDWARE = ['jetson-orin', 'rpi-cm4', 'x86-ipc'] as const;

/** The demo bundle on disk. */
export interface DemoBundle {
  readonly bundleFile: string;
  readonly rootFile: string;
  readonly keysDir: string;
}

/** Options of the demo bundle. */
export interface DemoBundleOptions {
  /** Size of the release images (default 256 KiB). */
  readonly releaseBytes?: number;
  readonly now?: Date;
}

/** Creates demo keys and the signed demo bundle under `workspace`. */
export async function createDemoBundle(
  workspace: string,
  options: DemoBundleOptions = {},
): Promise<DemoBundle> {
  const now = options.now ?? new Date();
  const keysDir = join(workspace, 'hq-keys');
  const ring = initKeyRing(keysDir, { rootExpires: new Date(now.getTime() + 365 * 86_400_000) });
  const artifacts = join(workspace, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const releaseBytes = options.releaseBytes ?? 256 * 1024;
  writeFileSync(join(artifacts, 'edge-app-1.0.0.img'), randomBytes(releaseBytes));
  await writeReleaseArchive(join(artifacts, 'edge-app-1.1.0.tar'), releaseBytes, [
    '#!/bin/sh',
    'echo "edge-app 1.1.0: camera and inference services are up"',
  ]);
  await writeReleaseArchive(join(artifacts, 'edge-app-1.2.0.tar'), releaseBytes, [
    '#!/bin/sh',
    'echo "edge-app 1.2.0: the inference service did not start (camera /dev/video0 missing)"',
    'exit 1',
  ]);
  // A real ONNX model (the generated test MLP), so a deployed detector can be diagnosed.
  writeFileSync(join(artifacts, 'detector-1.0.0.onnx'), buildTestModel('mlp'));
  const custom = (kind: 'release' | 'model', name: string, version: string, extra: object) =>
    targetCustomSchema.parse({
      kind,
      name,
      version,
      hardware: [...DEMO_HARDWARE],
      createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
      sourceCommit: `demo-${name}-${version}`,
      ...extra,
    });
  const targets: TargetInput[] = [
    {
      file: join(artifacts, 'edge-app-1.0.0.img'),
      custom: custom('release', 'edge-app', '1.0.0', { releaseCounter: 1, install: { method: 'copy' } }),
    },
    {
      file: join(artifacts, 'edge-app-1.1.0.tar'),
      custom: custom('release', 'edge-app', '1.1.0', { releaseCounter: 2, install: { method: 'archive' } }),
    },
    {
      file: join(artifacts, 'edge-app-1.2.0.tar'),
      custom: custom('release', 'edge-app', '1.2.0', { releaseCounter: 3, install: { method: 'archive' } }),
    },
    {
      file: join(artifacts, 'detector-1.0.0.onnx'),
      custom: custom('model', 'detector', '1.0.0', { slo: { p95Ms: 50, maxErrorRate: 0.01 } }),
    },
  ];
  const bundleFile = join(workspace, 'demo-site.dhb');
  await createBundle({
    ring,
    out: bundleFile,
    expires: new Date(now.getTime() + 30 * 86_400_000),
    now,
    targets,
  });
  return { bundleFile, rootFile: join(keysDir, 'root.json'), keysDir };
}

/** A release archive: an image file plus a `health` script the agent runs after the reboot. */
async function writeReleaseArchive(
  file: string,
  imageBytes: number,
  health: readonly string[],
): Promise<void> {
  const archive = pack();
  archive.entry({ name: 'rootfs.img', mode: 0o644 }, randomBytes(imageBytes));
  archive.entry({ name: 'health', mode: 0o755 }, `${health.join('\n')}\n`);
  archive.finalize();
  await pipeline(archive, createWriteStream(file));
}

/** One demo device. */
export interface DemoDevice {
  readonly uri: string;
  readonly hardware: string;
  readonly serialNumber: string;
  readonly link: 'tcp' | 'serial';
  readonly fingerprint: string | null;
}

/** The demo identity of device number `index` (0-based). */
export function demoIdentity(index: number): { hardware: string; serialNumber: string } {
  return {
    hardware: DEMO_HARDWARE[index % DEMO_HARDWARE.length] as string,
    serialNumber: `DEMO-${String(index + 1).padStart(3, '0')}`,
  };
}

/** Starts `count` agents on 127.0.0.1 in this process. */
export async function startDemoAgents(
  workspace: string,
  rootFile: string,
  count: number,
): Promise<{ agents: RunningAgent[]; devices: DemoDevice[] }> {
  const agents: RunningAgent[] = [];
  const devices: DemoDevice[] = [];
  for (let i = 0; i < count; i += 1) {
    const { hardware, serialNumber } = demoIdentity(i);
    const agent = await runAgent({
      stateDir: join(workspace, 'agents', serialNumber),
      listen: '127.0.0.1:0',
      hardware,
      serialNumber,
      trustRoot: rootFile,
    });
    agents.push(agent);
    devices.push({
      uri: `tcp://127.0.0.1:${agent.address?.port ?? 0}`,
      hardware,
      serialNumber,
      link: 'tcp',
      fingerprint: agent.fingerprint,
    });
  }
  return { agents, devices };
}
