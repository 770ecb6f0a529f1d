/**
 * On-device diagnostics over a serial line (socat pty pair): the agent loads its own inference server
 * and the laptop polls the windows through the reliable link; the laptop cannot load the server from
 * afar over serial and says so.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgent } from '../../../../agent/run-agent';
import { planFor } from '../../../../core/diagnostics/load-plan';
import { openBackend } from '../../../../main/services/backend';
import { connectPinned } from '../../../../main/services/diagnostics/diagnostics-backend';
import { DevicePins } from '../../../../main/services/devices/device-pins';
import { LAB_HARDWARE } from '../../../support/agent-lab';
import { installModels, makeModelBundle, TEST_SLOS } from '../../../support/model-lab';
import { hasSocat, openPtyPair } from '../../../support/noisy-bridge';
import { requirePrerequisite } from '../../../support/prerequisites';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-diag-serial-');
const present = requirePrerequisite(hasSocat(), 'socat', 'apt-get install socat');

describe('diagnostics over serial', () => {
  it.skipIf(!present)(
    'runs on the device and streams its windows back over the serial link',
    async () => {
      const dir = tempDir();
      const bundle = await makeModelBundle(dir, [{ model: 'mlp', slo: TEST_SLOS.mlp }]);
      const line = await openPtyPair();
      const agent = await runAgent({
        stateDir: join(dir, 'device'),
        serialPath: line.a,
        hardware: LAB_HARDWARE,
        serialNumber: 'SN-DIAG-SERIAL',
        trustRoot: bundle.rootFile,
        inference: { intraOpNumThreads: 1 },
      });
      const device = `serial://${line.b}?pace=off`;
      const backend = openBackend({ dataDir: join(dir, 'laptop'), host: 'cli', version: 'test' });
      try {
        // connectPinned retries a session that a just-closed serial link resets.
        const client = await connectPinned(device, new DevicePins(join(dir, 'laptop')), 'test');
        await installModels(client, bundle);
        client.close();
        backend.bundles.pin(bundle.rootFile);
        await backend.bundles.import({ path: bundle.bundleFile, jobId: randomUUID() });

        const plan = planFor({ mode: 'concurrency', levels: [1, 2], durationMs: 1500 });
        const seen: number[] = [];
        const run = await backend.diagnostics.run(
          { device, model: 'mlp', plan, placement: 'on-device' },
          { onWindow: (w) => seen.push(w.level) },
        );
        expect(run.placement).toBe('on-device');
        expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(run.levels.map((l) => l.level)).toEqual([1, 2]);
        expect(seen.length).toBe(run.windows.length);
        expect(run.windows.length).toBeGreaterThanOrEqual(6);
        expect(run.totals.successRate).toBe(1);
        expect(run.levels[0]?.server?.successCount).toBeGreaterThan(0);
        expect(run.samplerSource).toBe('cpu');
        expect(run.verdict.status).toBe('pass');
        expect(backend.diagnostics.history()[0]?.runId).toBe(run.runId);

        // From afar, the laptop cannot reach a serial device's inference server, and says so.
        await expect(
          backend.diagnostics.run({ device, model: 'mlp', plan, placement: 'from-laptop' }),
        ).rejects.toMatchObject({ code: 'not_supported' });
      } finally {
        backend.close();
        await agent.close();
        line.close();
      }
    },
    90_000,
  );
});
