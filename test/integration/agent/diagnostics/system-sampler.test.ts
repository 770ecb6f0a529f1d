/**
 * The agent's statistics collectors against real processes and files: a fake nvidia-smi and a fake
 * tegrastats on PATH that replay recorded outputs, a recorded Jetson sysfs tree, a loopback HTTP
 * server with a recorded Triton scrape, and this machine's real /proc for the CPU-only fallback.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SystemSampler } from '../../../../agent/diagnostics/system-sampler';
import { createSystemSampler } from '../../../../agent/diagnostics/system-sampler';
import { parseMeminfo } from '../../../../core/diagnostics/cpu-stats';
import { fixture, fixturePath } from '../../../support/diagnostics-fixtures';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-sampler-');
const running: SystemSampler[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

async function started(sampler: SystemSampler): Promise<SystemSampler> {
  running.push(sampler);
  await sampler.start();
  return sampler;
}

async function until<T>(
  what: string,
  check: () => T | null | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const NETDATA_FIELDS =
  'index,utilization.gpu,utilization.memory,memory.total,memory.used,memory.free,fan.speed,temperature.gpu';

function nvidiaSmiEnv(extra: Record<string, string> = {}): { env: NodeJS.ProcessEnv; pidFile: string } {
  const pidFile = join(tempDir(), 'pids');
  return {
    pidFile,
    env: {
      ...process.env,
      PATH: `${fixturePath('fake-nvidia-smi')}${delimiter}${process.env['PATH'] ?? ''}`,
      FAKE_NVIDIA_SMI_FIXTURE: fixturePath('nvidia-smi/two-gpus-not-supported.csv'),
      FAKE_NVIDIA_SMI_FIELDS: NETDATA_FIELDS,
      FAKE_NVIDIA_SMI_PIDS: pidFile,
      ...extra,
    },
  };
}

describe('nvidia-smi collector', () => {
  it('runs one long-lived nvidia-smi, groups each period into one sample, and stop() leaves no child', async () => {
    const { env, pidFile } = nvidiaSmiEnv();
    const sampler = await started(await createSystemSampler({ env, intervalMs: 100, sysfsRoot: tempDir() }));
    expect(sampler.source).toBe('nvidia-smi');
    await until('three samples', () => sampler.samplesBetween(0, Date.now()).length >= 3);

    const samples = sampler.samplesBetween(0, Date.now());
    for (const s of samples) {
      expect(s.source).toBe('nvidia-smi');
      expect(s.gpus.map((g) => g.index)).toEqual([0, 1]);
    }
    expect(samples[0]?.gpus[1]).toMatchObject({ utilizationPct: null, memoryUsedMb: 722, temperatureC: 37 });
    expect(samples[0]?.memoryTotalMb).toBeGreaterThan(0); // the host half comes from /proc
    expect(sampler.latest()).toBe(samples.at(-1));

    // The probe run plus exactly one long-lived process: not one process per sample.
    expect(pids(pidFile)).toHaveLength(2);
    await sampler.stop();
    for (const pid of pids(pidFile)) expect(alive(pid)).toBe(false);
  });

  it('restarts nvidia-smi when it dies and keeps sampling', async () => {
    const { env, pidFile } = nvidiaSmiEnv({ FAKE_NVIDIA_SMI_EXIT_AFTER: '2' });
    const sampler = await started(
      await createSystemSampler({ env, intervalMs: 100, restartDelayMs: 50, sysfsRoot: tempDir() }),
    );
    // The probe, then a run that dies after two periods, then at least two restarted runs.
    await until('two restarts', () => pids(pidFile).length >= 4);
    const afterRestart = Date.now();
    await until(
      'a sample from a restarted run',
      () => sampler.samplesBetween(afterRestart, Infinity).length > 0,
    );
    await sampler.stop();
    for (const pid of pids(pidFile)) expect(alive(pid)).toBe(false);
  });

  it('does not pick nvidia-smi when it is installed but finds no driver', async () => {
    const { env } = nvidiaSmiEnv({ FAKE_NVIDIA_SMI_FAIL: '1' });
    const sampler = await createSystemSampler({ env, sysfsRoot: tempDir() });
    expect(sampler.source).toBe('cpu');
  });
});

describe('Jetson collectors', () => {
  it('reads GPU load, temperature and power from a sysfs tree', async () => {
    const sampler = await started(
      await createSystemSampler({
        env: { PATH: '/usr/bin:/bin' },
        intervalMs: 50,
        sysfsRoot: fixturePath('jetson-sysfs/orin-jetpack6'),
      }),
    );
    expect(sampler.source).toBe('jetson');
    const sample = await until('a sample', () => sampler.latest());
    expect(sample.gpus).toHaveLength(1);
    expect(sample.gpus[0]).toMatchObject({ utilizationPct: 99, temperatureC: 42.937, memoryUsedMb: null });
    expect(sample.gpus[0]?.powerW).toBeCloseTo(2.4117, 3);
    expect(sample.temperatureC).toBe(43.531);
  });

  it('falls back to tegrastats --interval when sysfs has no GPU devfreq entry', async () => {
    const sampler = await started(
      await createSystemSampler({
        env: {
          ...process.env,
          PATH: `${fixturePath('fake-tegrastats')}${delimiter}${process.env['PATH'] ?? ''}`,
          FAKE_TEGRASTATS_FIXTURE: fixturePath('tegrastats/jetpack5.1.2-xavier-nx.txt'),
        },
        intervalMs: 100,
        sysfsRoot: tempDir(),
      }),
    );
    expect(sampler.source).toBe('jetson');
    await until('two samples', () => sampler.samplesBetween(0, Infinity).length >= 2);
    expect(sampler.latest()).toMatchObject({ memoryUsedMb: 3168, memoryTotalMb: 6851, cpuLoadPct: 17 });
    expect(sampler.latest()?.gpus[0]).toMatchObject({ utilizationPct: 0, temperatureC: 45.5, powerW: 0.65 });
  });
});

describe('Prometheus collector', () => {
  it('scrapes a Triton /metrics endpoint on loopback', async () => {
    const body = fixture('prometheus/triton-4x-v100-16gb.txt');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const sampler = await started(
        await createSystemSampler({
          env: { PATH: '/usr/bin:/bin' },
          intervalMs: 100,
          sysfsRoot: tempDir(),
          prometheusUrl: `http://127.0.0.1:${port}/metrics`,
        }),
      );
      expect(sampler.source).toBe('prometheus');
      const sample = await until('a scraped sample', () =>
        sampler.samplesBetween(0, Infinity).find((s) => s.gpus.length > 0),
      );
      expect(sample.gpus).toHaveLength(4);
      expect(sample.gpus[0]?.powerW).toBe(58.954);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('CPU-only fallback', () => {
  it('samples this machine’s real /proc when no GPU tool is present', async () => {
    const sampler = await started(
      await createSystemSampler({ env: { PATH: tempDir() }, intervalMs: 100, sysfsRoot: tempDir() }),
    );
    expect(sampler.source).toBe('cpu');
    await until('two samples', () => sampler.samplesBetween(0, Infinity).length >= 2);
    const sample = sampler.latest();
    expect(sample?.gpus).toEqual([]);
    expect(sample?.cpuLoadPct).toBeGreaterThanOrEqual(0);
    expect(sample?.cpuLoadPct).toBeLessThanOrEqual(100);
    const total = parseMeminfo(readFileSync('/proc/meminfo', 'utf8'))?.totalMb;
    expect(sample?.memoryTotalMb).toBe(total);
    expect(sample?.memoryUsedMb).toBeGreaterThan(0);
    expect(sample?.memoryUsedMb).toBeLessThan(total!);
  });

  it('reads thermal zones under the sysfs root', async () => {
    const root = tempDir();
    const zone = join(root, 'sys/class/thermal/thermal_zone0');
    mkdirSync(zone, { recursive: true });
    writeFileSync(join(zone, 'type'), 'x86_pkg_temp\n');
    writeFileSync(join(zone, 'temp'), '47000\n');
    const sampler = await started(
      await createSystemSampler({ env: { PATH: tempDir() }, intervalMs: 50, sysfsRoot: root }),
    );
    const sample = await until('a sample', () => sampler.latest());
    expect(sample.temperatureC).toBe(47);
  });
});
