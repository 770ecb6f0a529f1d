/**
 * `deckhand bench fleet [--devices 16] [--size 256MiB] [--json]`: the deploy engine's scaling. Starts
 * N+1 agents as their own processes on loopback and deploys the same release (a `--size` archive)
 * first to one device, then to the N others at once, in the same run. Reports the fleet's wall time
 * against the single device's (goal ≤ 1.5×: engine overhead must not grow with the fleet) and this
 * process's peak resident memory (the laptop side: engine, TLS, hashing stays on the devices).
 *
 * The agents run on the same machine, so on a machine with few cores their own work (TLS, hashing,
 * copying into slots) competes with the fleet's; the ratio then measures the machine, not the engine:
 * when one deploy already keeps every core busy, N deploys take N times as long however lean the
 * engine is. The efficiency figure (the fleet's bytes per second against one device's) isolates the
 * engine's own cost per device. The JSON says how many cores there were.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../../core/bundle/human-format';
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { DevicePins } from '../../services/devices/device-pins';
import { EXIT, printJson } from '../cli-io';
import { spawnAgentProcess, type AgentProcess } from '../demo/agent-process';
import { createDemoBundle, demoIdentity } from '../demo/demo-fleet';
import { parseCommandArgs, type CommandContext } from '../main';
import { parseSize } from './import-bench';

/** Runs the fleet benchmark. */
export async function runFleetBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { devices: { type: 'string', default: '16' }, size: { type: 'string', default: '256MiB' } },
    false,
  );
  const count = Number(values.devices);
  if (!Number.isInteger(count) || count < 1 || count > 64)
    throw new DeckhandError('usage', '--devices must be a whole number from 1 to 64.');
  const size = parseSize(values.size);
  const log = (line: string): void => {
    if (!context.json) context.io.stderr.write(`${line}\n`);
  };
  const work = mkdtempSync(join(tmpdir(), 'deckhand-bench-fleet-'));
  const agents: AgentProcess[] = [];
  try {
    log(`Preparing a ${formatBytes(size)} release and ${count + 1} agents in ${work}…`);
    const bundle = await createDemoBundle(work, { releaseBytes: size });
    for (let i = 0; i <= count; i += 1) {
      const { serialNumber } = demoIdentity(i);
      agents.push(
        await spawnAgentProcess({
          stateDir: join(work, 'agents', serialNumber),
          hardware: 'jetson-orin',
          serialNumber,
          trustRoot: bundle.rootFile,
        }),
      );
    }
    const dataDir = join(work, 'laptop');
    const backend = openBackend({ dataDir, host: 'cli', version: context.version });
    try {
      backend.bundles.pin(bundle.rootFile);
      await backend.bundles.import({ path: bundle.bundleFile, jobId: randomUUID() });
      const pins = new DevicePins(dataDir);
      for (const agent of agents)
        pins.set(agent.uri, { fingerprint: agent.fingerprint, pinnedAt: new Date().toISOString() });
      const target = backend.deploy.service.findTarget('edge-app@1.1.0');
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const timeRun = async (devices: string[]): Promise<{ sec: number; committed: number }> => {
        const started = performance.now();
        const run = backend.deploy.engine.start({ target, devices });
        const done = await backend.deploy.engine.finished(run.id);
        const failed = done.devices.filter((d) => d.outcome !== 'committed');
        if (failed.length > 0)
          throw new DeckhandError(
            'internal',
            `The benchmark deploy failed on ${failed.length} device(s): ${failed[0]?.reason ?? 'no reason'}`,
          );
        return { sec: (performance.now() - started) / 1000, committed: done.devices.length };
      };
      try {
        log('Deploying to one device…');
        const single = await timeRun([agents[0]?.uri ?? '']);
        log(`  ${single.sec.toFixed(2)} s. Deploying to ${count} devices at once…`);
        const fleet = await timeRun(agents.slice(1).map((a) => a.uri));
        clearInterval(sampler);
        const ratio = fleet.sec / single.sec;
        const result = {
          ok: true,
          bench: 'fleet',
          devices: count,
          targetBytes: size,
          cores: availableParallelism(),
          singleDeviceSec: round(single.sec),
          fleetSec: round(fleet.sec),
          ratio: round(ratio),
          goal: '≤ 1.5 (fleet wall time ÷ single-device wall time)',
          singleMiBPerSec: round(size / 1048576 / single.sec),
          aggregateMiBPerSec: round((size * count) / 1048576 / fleet.sec),
          // The fleet's bytes per second against one device's: 1 when the engine adds nothing per
          // device. The ratio above can only reach the goal where the devices do not share the
          // laptop's CPU (or link): on one machine it is devices ÷ this efficiency.
          efficiency: round((size * count) / fleet.sec / (size / single.sec)),
          peakRssMiB: round(peakRss / 1048576),
        };
        if (context.json) printJson(context.io, result);
        else
          context.io.stdout.write(
            `Fleet deploy of ${formatBytes(size)} to ${count} devices: ${fleet.sec.toFixed(2)} s; one device: ${single.sec.toFixed(2)} s; ratio ${ratio.toFixed(2)} (goal ≤ 1.5) on ${result.cores} cores.\nAggregate ${result.aggregateMiBPerSec} MiB/s against ${result.singleMiBPerSec} MiB/s for one device: efficiency ${result.efficiency}; laptop peak memory ${result.peakRssMiB} MiB.\n`,
          );
        return EXIT.ok;
      } finally {
        clearInterval(sampler);
      }
    } finally {
      backend.close();
    }
  } finally {
    await Promise.all(agents.map((a) => a.stop().catch(() => undefined)));
    rmSync(work, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
