/**
 * A simulated device for tests: an agent in a temp state folder with an org root pinned (from a
 * BundleLab), release targets signed by that lab, and a client connected with the pinned fingerprint.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { runAgent, type RunningAgent } from '../../agent/run-agent';
import { targetPathFor } from '../../core/bundle/target-info';
import { parseAgentUri } from '../../core/device-uri/device-uri';
import { toMetadataSet, type MetadataSet } from '../../core/protocol/messages';
import { connectAgent } from '../../main/adapters/agent-client/agent-connection';
import type { AgentClient } from '../../main/adapters/agent-client/agent-client';
import type { BundleLab } from './bundle-lab';
import { type LabTarget } from './bundle-lab';

/** The hardware model the lab's targets are built for. */
export const LAB_HARDWARE = 'jetson-orin';

/** A release target: its bytes on the laptop, TUF path and the metadata that signs it. */
export interface LabRelease {
  readonly file: string;
  readonly content: Buffer;
  readonly sha256: string;
  readonly path: string;
  readonly metadata: MetadataSet;
}

/** Writes the lab's root to `dir/root.json` (what a device is provisioned with). */
export function writeRoot(lab: BundleLab, dir: string): string {
  const path = join(dir, 'root.json');
  writeFileSync(path, lab.rootBytes());
  return path;
}

/** Signs releases (one metadata version for all) and writes their files into `dir`. */
export function makeReleases(
  lab: BundleLab,
  dir: string,
  specs: readonly { name?: string; version: string; bytes: number; releaseCounter?: number }[],
  metadataVersion = 1,
): LabRelease[] {
  const targets: LabTarget[] = specs.map((s) => ({
    kind: 'release',
    name: s.name ?? 'edge-app',
    version: s.version,
    file: 'app.img',
    content: randomBytes(s.bytes),
    hardware: [LAB_HARDWARE],
  }));
  const files = lab.metadata({ version: metadataVersion, targets });
  // The lab does not set releaseCounter; add it as HQ would (re-signing releases, snapshot, timestamp).
  if (specs.some((s) => s.releaseCounter !== undefined)) {
    lab.rewriteRole(files, 'releases', (signed) => {
      const listed = signed['targets'] as Record<string, { custom: Record<string, unknown> }>;
      specs.forEach((s, i) => {
        const entry = listed[targetPathFor(targets[i]!, 'app.img')];
        if (entry && s.releaseCounter !== undefined) entry.custom['releaseCounter'] = s.releaseCounter;
      });
    });
  }
  const metadata = toMetadataSet(files);
  return targets.map((t) => {
    const file = join(dir, `${t.name}-${t.version}.img`);
    writeFileSync(file, t.content);
    return {
      file,
      content: t.content,
      sha256: createHash('sha256').update(t.content).digest('hex'),
      path: targetPathFor(t, t.file),
      metadata,
    };
  });
}

/** Starts an in-process agent on a free loopback port. */
export function startAgent(
  stateDir: string,
  trustRoot?: string,
  serialNumber = 'SN-TEST-1',
): Promise<RunningAgent> {
  return runAgent({
    stateDir,
    listen: '127.0.0.1:0',
    hardware: LAB_HARDWARE,
    serialNumber,
    ...(trustRoot === undefined ? {} : { trustRoot }),
  });
}

/** Connects to a TLS agent with its fingerprint pinned. */
export function connectTo(port: number, fingerprint: string): Promise<AgentClient> {
  const uri = parseAgentUri(`tcp://127.0.0.1:${port}`);
  if (!uri.ok) throw new Error(uri.error.message);
  return connectAgent(uri.value, { fingerprint, timeoutMs: 5000 });
}

/** A TCP proxy that cuts the connection when laptop→device bytes cross each of `cutAt` (ascending). */
export async function startCuttingProxy(
  targetPort: number,
  cutAt: readonly number[],
): Promise<{ port: number; cuts: () => number; close: () => Promise<void> }> {
  let forwarded = 0;
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      const limit = cutAt[next];
      if (limit !== undefined && forwarded + chunk.length >= limit) {
        upstream.write(chunk.subarray(0, Math.max(0, limit - forwarded)));
        forwarded = limit;
        next += 1;
        cut();
        return;
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    cuts: () => next,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
