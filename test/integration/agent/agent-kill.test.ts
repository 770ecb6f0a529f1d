import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_FILE } from '../../../agent/slot-installer';
import type { DeviceStatus } from '../../../core/protocol/messages';
import type { AgentClient } from '../../../main/adapters/agent-client/agent-client';
import { LAB_HARDWARE, connectTo, makeReleases, writeRoot, type LabRelease } from '../../support/agent-lab';
import { BundleLab } from '../../support/bundle-lab';
import { DECKHAND_BIN } from '../../support/run-deckhand';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs('deckhand-agent-kill-');

interface AgentProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly fingerprint: string;
}

/** Starts `deckhand agent` as a child process and waits for its --json line. */
async function spawnAgent(stateDir: string, trust: string): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [
      DECKHAND_BIN,
      'agent',
      '--state',
      stateDir,
      '--listen',
      '127.0.0.1:0',
      '--hardware',
      LAB_HARDWARE,
      '--serial-number',
      'SN-KILL',
      '--trust',
      trust,
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
  });
  const info = JSON.parse(line) as { uri: string; fingerprint: string };
  return { child, port: Number(info.uri.split(':').pop()), fingerprint: info.fingerprint };
}

function kill(agent: AgentProcess): Promise<void> {
  return new Promise((resolve) => {
    agent.child.once('exit', () => resolve());
    agent.child.kill('SIGKILL');
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The device is consistent: every slot the state names is complete, and it runs a confirmed release. */
function expectConsistent(stateDir: string, status: DeviceStatus, releases: readonly LabRelease[]): void {
  for (const slot of ['a', 'b'] as const) {
    const release = status.slots[slot];
    if (release === null) continue;
    const payload = join(stateDir, 'slots', slot, PAYLOAD_FILE);
    expect(existsSync(payload)).toBe(true);
    expect(sha(readFileSync(payload))).toBe(release.sha256);
  }
  expect(status.trial).toBe(false);
  expect(status.booted).not.toBeNull();
  expect(status.booted).toBe(status.confirmed);
  const running = status.slots[status.booted!];
  expect(releases.map((r) => r.sha256)).toContain(running?.sha256);
}

describe('agent killed with SIGKILL (kill -9) mid-operation', () => {
  it('runs the old or the new release after a kill at random points of install and commit, never a partial slot', async () => {
    const dir = tempDir();
    const stateDir = join(dir, 'state');
    const lab = new BundleLab();
    const trust = writeRoot(lab, dir);
    const releases = makeReleases(lab, dir, [
      { version: '1.0', bytes: 4 * 1024 * 1024 },
      { version: '2.0', bytes: 4 * 1024 * 1024 },
    ]);
    let agent = await spawnAgent(stateDir, trust);
    let client: AgentClient = await connectTo(agent.port, agent.fingerprint);
    const restart = async (): Promise<DeviceStatus> => {
      client.close();
      await kill(agent);
      agent = await spawnAgent(stateDir, trust);
      client = await connectTo(agent.port, agent.fingerprint);
      return client.status();
    };
    try {
      for (const r of releases) await client.upload(r.file, { sha256: r.sha256, length: r.content.length });
      await client.install(releases[0]!.path, releases[0]!.metadata);
      await client.activate();
      await client.reboot();
      await client.commit();
      const outcomes = { install: new Set<string>(), commit: new Set<string>() };

      for (let round = 0; round < 5; round += 1) {
        // Kill during install of the release that is not running.
        let status = await client.status();
        const other = releases.find((r) => r.sha256 !== status.slots[status.booted!]?.sha256)!;
        void client.install(other.path, other.metadata).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 80));
        status = await restart();
        expectConsistent(stateDir, status, releases);
        const inactive = status.booted === 'a' ? 'b' : 'a';
        outcomes.install.add(status.slots[inactive]?.sha256 === other.sha256 ? 'installed' : 'not installed');

        // Kill during commit of a release on trial.
        await client.install(other.path, other.metadata);
        await client.activate();
        await client.reboot();
        void client.commit().catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 6));
        status = await restart();
        expectConsistent(stateDir, status, releases);
        outcomes.commit.add(status.slots[status.booted!]?.sha256 === other.sha256 ? 'new' : 'old');
      }
      // Both branches are legal; the state machine must never be anywhere else.
      expect(outcomes.install.size + outcomes.commit.size).toBeGreaterThanOrEqual(2);
    } finally {
      client.close();
      await kill(agent);
    }
  }, 120_000);
});
