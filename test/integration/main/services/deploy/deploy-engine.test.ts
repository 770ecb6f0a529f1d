import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../../../../agent/run-agent';
import {
  createDemoBundle,
  startDemoAgents,
  type DemoBundle,
  type DemoDevice,
} from '../../../../../main/cli/demo/demo-fleet';
import type { DeployRunView } from '../../../../../main/ipc/deploy-types';
import { openBackend, type Backend } from '../../../../../main/services/backend';
import { DevicePins } from '../../../../../main/services/devices/device-pins';
import { startCuttingProxy } from '../../../../support/agent-lab';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-deploy-engine-');

/** The deploy engine against real agents: link cuts, a killed app, cancel. */
describe('deploy engine', () => {
  let dir: string;
  let bundle: DemoBundle;
  let agents: RunningAgent[] = [];
  let devices: DemoDevice[] = [];
  let backend: Backend | null = null;
  const open = (): Backend =>
    openBackend({
      dataDir: join(dir, 'laptop'),
      host: 'browser',
      version: 'test',
      watchDevices: false,
      deployRetry: { attempts: 30, baseDelayMs: 10 },
    });

  beforeEach(async () => {
    dir = tempDir();
    bundle = await createDemoBundle(dir, { releaseBytes: 4 * 1048576 });
    ({ agents, devices } = await startDemoAgents(dir, bundle.rootFile, 3));
    backend = open();
    backend.bundles.pin(bundle.rootFile);
    await backend.bundles.import({ path: bundle.bundleFile, jobId: randomUUID() });
    const pins = new DevicePins(join(dir, 'laptop'));
    for (const d of devices)
      pins.set(d.uri, { fingerprint: d.fingerprint ?? '', pinnedAt: new Date().toISOString() });
  });

  afterEach(async () => {
    backend?.close();
    for (const agent of agents) await agent.close();
  });

  it('reconnects and resumes the upload when the link is cut at random points, then commits', async () => {
    const agent = agents[0] as RunningAgent;
    const proxy = await startCuttingProxy(
      agent.address?.port ?? 0,
      [300_000, 1_200_000, 2_500_000, 3_900_000],
    );
    try {
      const uri = `tcp://127.0.0.1:${proxy.port}`;
      new DevicePins(join(dir, 'laptop')).set(uri, {
        fingerprint: devices[0]?.fingerprint ?? '',
        pinnedAt: new Date().toISOString(),
      });
      const engine = backend!.deploy.engine;
      const target = backend!.deploy.service.findTarget('edge-app@1.1.0');
      const run = await engine.finished(engine.start({ target, devices: [uri] }).id);
      expect(run.devices[0]).toMatchObject({ outcome: 'committed' });
      expect(proxy.cuts()).toBeGreaterThanOrEqual(3);
      const status = agent.agent.status();
      expect(status.slots[status.booted!]?.sha256).toBe(target.sha256);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('after the app is killed mid-run, the next start resumes from each device’s real state', async () => {
    const engine = backend!.deploy.engine;
    const target = backend!.deploy.service.findTarget('edge-app@1.1.0');
    const started = engine.start({ target, devices: devices.map((d) => d.uri) });
    // "Kill" the app once the first device has been installed: nothing more is written by it.
    await new Promise<void>((resolve) => {
      const off = backend!.events.subscribe((name, payload) => {
        if (name === 'log.appended' && (payload as { kind: string }).kind === 'deploy.installed') {
          off();
          resolve();
        }
      });
    });
    backend!.close();
    backend = open();
    const resumed = await backend.deploy.engine.finished(started.id);
    expect(resumed.status).toBe('finished');
    expect(resumed.devices.map((d) => [d.outcome, d.reason])).toEqual([
      ['committed', expect.anything()],
      ['committed', expect.anything()],
      ['committed', expect.anything()],
    ]);
    for (const agent of agents) {
      const status = agent.agent.status();
      expect(status.trial).toBe(false);
      expect(status.slots[status.booted!]?.version).toBe('1.1.0');
    }
    const kinds = backend.logs.query({ offset: 0, limit: 500 }).rows.map((r) => r.kind);
    expect(kinds).toContain('deploy.resumed');
  }, 60_000);

  it('cancel stops before devices change and reports them cancelled; retry finishes them', async () => {
    const engine = backend!.deploy.engine;
    const target = backend!.deploy.service.findTarget('edge-app@1.1.0');
    const started = engine.start({ target, devices: devices.map((d) => d.uri), concurrency: 1 });
    engine.cancel(started.id);
    const run: DeployRunView = await engine.finished(started.id);
    expect(run.status).toBe('cancelled');
    expect(run.devices.every((d) => d.outcome === 'cancelled' || d.outcome === 'committed')).toBe(true);
    for (const agent of agents) expect(agent.agent.status().trial).toBe(false);
    const retried = await engine.finished(engine.retry(started.id).id);
    expect(retried.devices.every((d) => d.outcome === 'committed')).toBe(true);
  }, 60_000);

  it('refuses to contact a TLS device that is not pinned', async () => {
    await expect(backend!.deploy.engine.connect('tcp://127.0.0.1:1')).rejects.toMatchObject({
      code: 'untrusted_device',
    });
  });
});
