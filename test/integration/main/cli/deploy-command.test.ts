import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../../../agent/run-agent';
import { createDemoBundle, startDemoAgents, type DemoDevice } from '../../../../main/cli/demo/demo-fleet';
import { runDeckhandAsync } from '../../../support/run-deckhand';

/** The CLI deploys from an imported bundle to 4 demo agents; a release that fails health rolls back. */
describe('deckhand deploy', () => {
  let workspace: string;
  let dataDir: string;
  let agents: RunningAgent[] = [];
  let devices: DemoDevice[] = [];
  const cli = (...args: string[]) => runDeckhandAsync([...args, '--data-dir', dataDir]);

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'deckhand-deploy-cli-'));
    dataDir = join(workspace, 'laptop');
    const bundle = await createDemoBundle(workspace);
    ({ agents, devices } = await startDemoAgents(workspace, bundle.rootFile, 4));
    expect((await cli('trust', 'pin', bundle.rootFile)).code).toBe(0);
    expect((await cli('import', bundle.bundleFile)).code).toBe(0);
    for (const device of devices) {
      const pinned = await cli(
        'devices',
        '--device',
        device.uri,
        '--trust-fingerprint',
        device.fingerprint ?? '',
      );
      expect(pinned.code, pinned.stderr).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents) await agent.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  it('deploys a release to 4 agents in parallel, all committed, with receipts in the log', async () => {
    const args = devices.flatMap((d) => ['--device', d.uri]);
    const run = await cli('deploy', '--target', 'edge-app@1.1.0', ...args, '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const result = lines.at(-1) as { ok: boolean; devices: { device: string; outcome: string }[] };
    expect(result.ok).toBe(true);
    expect(result.devices.map((d) => d.outcome)).toEqual([
      'committed',
      'committed',
      'committed',
      'committed',
    ]);
    expect(lines.some((l) => l['event'] === 'progress' && l['step'] === 'transfer')).toBe(true);
    for (const agent of agents) {
      const status = agent.agent.status();
      const booted = status.booted;
      expect(booted).not.toBeNull();
      expect(status.trial).toBe(false);
      expect(status.slots[booted!]?.version).toBe('1.1.0');
    }

    const log = await cli('logs', 'list', '--json', '--limit', '1000');
    const events = (
      JSON.parse(log.stdout) as {
        events: { kind: string; device: string | null; payload: Record<string, unknown> }[];
      }
    ).events;
    for (const device of devices) {
      const kinds = events.filter((e) => e.device === device.uri).map((e) => e.kind);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'deploy.verified',
          'deploy.installed',
          'deploy.rebooted',
          'deploy.health',
          'deploy.committed',
        ]),
      );
      const committed = events.find((e) => e.device === device.uri && e.kind === 'deploy.committed');
      expect(committed?.payload['receipt']).toMatchObject({
        receipt: { kind: 'commit', target: { version: '1.1.0' } },
      });
      const installed = events.find((e) => e.device === device.uri && e.kind === 'deploy.installed');
      expect(installed?.payload['receipt']).toMatchObject({
        receipt: { kind: 'install' },
        signature: expect.any(String),
      });
    }
  }, 120_000);

  it('rolls back a release whose health check fails, with the reason, and exits 1', async () => {
    const device = devices[0] as DemoDevice;
    const run = await cli('deploy', '--target', 'edge-app@1.2.0', '--device', device.uri);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('rolled_back');
    expect(run.stdout).toContain('the inference service did not start');
    const status = (agents[0] as RunningAgent).agent.status();
    expect(status.trial).toBe(false);
    expect(status.slots[status.booted!]?.version).toBe('1.1.0');
    const log = await cli('logs', 'list', '--json', '--kind', 'deploy.rolled_back');
    const rolled = (JSON.parse(log.stdout) as { events: { payload: Record<string, unknown> }[] }).events.at(
      -1,
    );
    expect(rolled?.payload).toMatchObject({
      version: '1.2.0',
      afterInstall: true,
      receipt: { receipt: { kind: 'rollback' } },
    });
  }, 120_000);

  it('refuses an older release (anti-rollback), skips what already runs, deploys a model without a reboot', async () => {
    const device = devices[1] as DemoDevice;
    const older = await cli('deploy', '--target', 'edge-app@1.0.0', '--device', device.uri, '--json');
    expect(older.code).toBe(1);
    expect(JSON.parse(older.stdout.trim().split('\n').at(-1) as string)).toMatchObject({
      devices: [{ outcome: 'refused', code: 'rollback' }],
    });
    const same = await cli('deploy', '--target', 'edge-app@1.1.0', '--device', device.uri);
    expect(same.code).toBe(0);
    const model = await cli('deploy', '--target', 'detector@1.0.0', '--device', device.uri, '--json');
    expect(model.code, model.stdout).toBe(0);
    expect((agents[1] as RunningAgent).agent.status().models).toEqual([
      expect.objectContaining({ name: 'detector', version: '1.0.0' }),
    ]);
  }, 120_000);
});
