/**
 * The deploy end-to-end fleet: a signed bundle whose releases behave differently per device, device
 * agents as their own `deckhand agent` processes, and `deckhand host` as a process the test may
 * kill with SIGKILL and start again on the same data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { targetCustomSchema } from '../../../core/bundle/target-info';
import { DEMO_HARDWARE, demoIdentity } from '../../../main/cli/demo/demo-fleet';
import { createBundle, type TargetInput } from '../../../main/services/bundles/bundle-writer';
import { initKeyRing } from '../../../main/services/bundles/key-ring';

const BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** The environment variable that makes an agent's camera "missing" for edge-app 1.2.0's health check. */
export const CAMERA_FAULT_ENV = 'DEMO_CAMERA';

/** What the health check of edge-app 1.2.0 prints on a device whose camera is missing. */
export const CAMERA_FAULT_TEXT = 'camera /dev/video0 missing';

/** The bundle: its file and the root devices and laptop trust. */
export interface FleetBundle {
  readonly bundleFile: string;
  readonly rootFile: string;
}

/**
 * Writes the bundle: edge-app 1.1.0 (passes health), 1.2.0 (fails health on a device started with
 * CAMERA_FAULT_ENV=missing, passes elsewhere) and 1.3.0 (passes; `bigBytes` so a run is long enough
 * to be interrupted mid-transfer), and the model detector 1.0.0.
 */
export async function writeFleetBundle(workspace: string, bigBytes: number): Promise<FleetBundle> {
  const now = new Date();
  const keysDir = join(workspace, 'hq-keys');
  const ring = initKeyRing(keysDir, { rootExpires: new Date(now.getTime() + 365 * 86_400_000) });
  const artifacts = join(workspace, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const pass = (version: string) => ['#!/bin/sh', `echo "edge-app ${version}: camera and inference are up"`];
  const releases: { version: string; counter: number; bytes: number; health: string[] }[] = [
    { version: '1.1.0', counter: 2, bytes: 256 * 1024, health: pass('1.1.0') },
    {
      version: '1.2.0',
      counter: 3,
      bytes: 256 * 1024,
      health: [
        '#!/bin/sh',
        `if [ "$${CAMERA_FAULT_ENV}" = "missing" ]; then`,
        `  echo "edge-app 1.2.0: the inference service did not start (${CAMERA_FAULT_TEXT})"`,
        '  exit 1',
        'fi',
        ...pass('1.2.0').slice(1),
      ],
    },
    { version: '1.3.0', counter: 4, bytes: bigBytes, health: pass('1.3.0') },
  ];
  const targets: TargetInput[] = [];
  for (const release of releases) {
    const file = join(artifacts, `edge-app-${release.version}.tar`);
    const archive = pack();
    archive.entry({ name: 'rootfs.img', mode: 0o644 }, randomBytes(release.bytes));
    archive.entry({ name: 'health', mode: 0o755 }, `${release.health.join('\n')}\n`);
    archive.finalize();
    await pipeline(archive, createWriteStream(file));
    targets.push({
      file,
      custom: targetCustomSchema.parse({
        kind: 'release',
        name: 'edge-app',
        version: release.version,
        hardware: [...DEMO_HARDWARE],
        releaseCounter: release.counter,
        install: { method: 'archive' },
        createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
        sourceCommit: `e2e-edge-app-${release.version}`,
      }),
    });
  }
  const model = join(artifacts, 'detector-1.0.0.onnx');
  writeFileSync(model, randomBytes(64 * 1024));
  targets.push({
    file: model,
    custom: targetCustomSchema.parse({
      kind: 'model',
      name: 'detector',
      version: '1.0.0',
      hardware: [...DEMO_HARDWARE],
      createdAt: new Date(now.getTime() - 3_600_000).toISOString(),
      sourceCommit: 'e2e-detector-1.0.0',
      slo: { p95Ms: 50, maxErrorRate: 0.01 },
    }),
  });
  const bundleFile = join(workspace, 'e2e-site.dhb');
  await createBundle({
    ring,
    out: bundleFile,
    expires: new Date(now.getTime() + 30 * 86_400_000),
    now,
    targets,
  });
  return { bundleFile, rootFile: join(keysDir, 'root.json') };
}

/** A `deckhand agent` process. */
export interface AgentProcess {
  readonly uri: string;
  readonly fingerprint: string;
  readonly serialNumber: string;
  readonly hardware: string;
  stop(): Promise<void>;
}

/** Starts demo device `index` as its own process on 127.0.0.1 (no inference server, no mDNS). */
export async function startAgentProcess(
  workspace: string,
  rootFile: string,
  index: number,
  env: NodeJS.ProcessEnv = {},
): Promise<AgentProcess> {
  const { hardware, serialNumber } = demoIdentity(index);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'agent',
      '--state',
      join(workspace, 'agents', serialNumber),
      '--listen',
      '127.0.0.1:0',
      '--hardware',
      hardware,
      '--serial-number',
      serialNumber,
      '--trust',
      rootFile,
      '--no-inference',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const line = await firstLine(child, `deckhand agent ${serialNumber}`);
  const ready = JSON.parse(line) as { ok: boolean; uri: string; fingerprint: string };
  if (!ready.ok) throw new Error(`deckhand agent ${serialNumber} did not start: ${line}`);
  return {
    uri: ready.uri,
    fingerprint: ready.fingerprint,
    serialNumber,
    hardware,
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/** A `deckhand host` process on a data folder. */
export interface HostProcess {
  readonly url: string;
  readonly origin: string;
  /** SIGKILL: the host gets no chance to tidy up, as when a laptop loses power. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `deckhand host` on `dataDir` (which it does not delete). */
export async function startHostProcess(dataDir: string): Promise<HostProcess> {
  const child = spawn(process.execPath, [BIN, 'host', '--json', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DECKHAND_DRIVE_ROOTS: join(dataDir, 'no-drives') },
  });
  const line = await firstLine(child, 'deckhand host');
  const ready = JSON.parse(line) as { ok: boolean; url?: string };
  if (!ready.ok || ready.url === undefined) throw new Error(`deckhand host did not start: ${line}`);
  return {
    url: ready.url,
    origin: new URL(ready.url).origin,
    kill: () => stopChild(child, 'SIGKILL'),
    stop: () => stopChild(child, 'SIGTERM'),
  };
}

/** Runs the CLI to completion and returns its stdout (the CLI's own exit code is the caller's to judge). */
export function runCli(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

function firstLine(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start in time: ${err}`)), 120_000);
    child.stderr?.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${err}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
