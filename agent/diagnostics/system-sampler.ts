/**
 * Picks and runs the GPU/system statistics collector on the device and keeps recent samples for the
 * diagnostics windows. Order of preference: nvidia-smi (discrete GPUs, and Jetson Thor from JetPack
 * 7), Jetson sysfs devfreq, Jetson tegrastats, a Prometheus endpoint (Triton or DCGM exporter) when
 * one is given, else CPU, memory and thermal zones only. Every sample carries the host's CPU load,
 * memory and temperature alongside the GPU readings.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { SampleSource, SystemSample } from '../../core/diagnostics/system-sample';
import { nvidiaSmiArgs, parseNvidiaSmiCsv } from '../../core/diagnostics/nvidia-smi-csv';
import { findJetsonGpuDevfreq, jetsonSysfsGpu, devfreqLoadPct } from '../../core/diagnostics/jetson-sysfs';
import { parseTegrastatsLine, tegrastatsSample } from '../../core/diagnostics/tegrastats';
import { parsePrometheusText, prometheusGpus } from '../../core/diagnostics/prometheus-text';
import { HostReader, readDevfreq, readJetsonSysfs } from './host-readers';
import { LineProcess } from './line-process';

/** A running collector; recent samples are kept in memory. */
export interface SystemSampler {
  readonly source: SampleSource;
  start(): Promise<void>;
  stop(): Promise<void>;
  samplesBetween(fromMs: number, toMs: number): SystemSample[];
  latest(): SystemSample | null;
}

/** Options for createSystemSampler; tests point the roots and PATH at fixtures. */
export interface SystemSamplerOptions {
  /** Sampling period; default 500 ms. */
  readonly intervalMs?: number;
  /** Environment for the tools; its PATH is where nvidia-smi and tegrastats are looked up. */
  readonly env?: NodeJS.ProcessEnv;
  /** Triton (`:8002/metrics`) or DCGM exporter (`:9400/metrics`) endpoint. */
  readonly prometheusUrl?: string;
  /** Filesystem root that holds `sys/` (default '/'). */
  readonly sysfsRoot?: string;
  /** The procfs mount (default '/proc'). */
  readonly procRoot?: string;
  /** Restart back-off for the long-lived tools (default 1000 ms). */
  readonly restartDelayMs?: number;
}

const DEFAULT_INTERVAL_MS = 500;
// Samples older than this are dropped; a diagnostics run is a few minutes of windows.
const KEEP_MS = 15 * 60_000;
const PROBE_TIMEOUT_MS = 5000;

/** Recent samples, oldest first. */
class SampleStore {
  private readonly samples: SystemSample[] = [];

  push(sample: SystemSample): void {
    this.samples.push(sample);
    const cutoff = sample.atMs - KEEP_MS;
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop]?.atMs ?? cutoff) < cutoff) drop += 1;
    if (drop > 0) this.samples.splice(0, drop);
  }

  between(fromMs: number, toMs: number): SystemSample[] {
    return this.samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  }

  latest(): SystemSample | null {
    return this.samples.at(-1) ?? null;
  }
}

/** Shared bookkeeping: the store and the host reader. */
abstract class BaseSampler implements SystemSampler {
  abstract readonly source: SampleSource;
  protected readonly store = new SampleStore();
  protected readonly host: HostReader;

  constructor(protected readonly options: SystemSamplerOptions) {
    this.host = new HostReader(options.procRoot ?? '/proc', options.sysfsRoot ?? '/');
  }

  protected get intervalMs(): number {
    return Math.max(50, this.options.intervalMs ?? DEFAULT_INTERVAL_MS);
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  samplesBetween(fromMs: number, toMs: number): SystemSample[] {
    return this.store.between(fromMs, toMs);
  }

  latest(): SystemSample | null {
    return this.store.latest();
  }
}

/** Samplers driven by a timer: each tick reads everything once. */
abstract class PollingSampler extends BaseSampler {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> = Promise.resolve();

  protected abstract sample(atMs: number): Promise<SystemSample>;

  async start(): Promise<void> {
    if (this.timer) return;
    await this.host.read(); // primes the CPU tick counters so the first sample has a load figure
    this.timer = setInterval(() => {
      this.inFlight = this.inFlight.then(() => this.tick());
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private async tick(): Promise<void> {
    if (!this.timer) return;
    try {
      this.store.push(await this.sample(Date.now()));
    } catch {
      // A failed read skips one sample; the next tick tries again.
    }
  }
}

/** CPU load, memory and thermal zones only. */
class CpuSampler extends PollingSampler {
  readonly source = 'cpu' as const;

  protected async sample(atMs: number): Promise<SystemSample> {
    return { atMs, source: 'cpu', gpus: [], ...(await this.host.read()) };
  }
}

/** Jetson GPU load, temperature and power from sysfs. */
class JetsonSysfsSampler extends PollingSampler {
  readonly source = 'jetson' as const;

  protected async sample(atMs: number): Promise<SystemSample> {
    const [readings, host] = await Promise.all([
      readJetsonSysfs(this.options.sysfsRoot ?? '/'),
      this.host.read(),
    ]);
    const gpu = jetsonSysfsGpu(readings);
    return { atMs, source: 'jetson', gpus: gpu ? [gpu] : [], ...host };
  }
}

/** GPU figures scraped from a Prometheus endpoint (Triton or DCGM exporter). */
class PrometheusSampler extends PollingSampler {
  readonly source = 'prometheus' as const;

  constructor(
    options: SystemSamplerOptions,
    private readonly url: string,
  ) {
    super(options);
  }

  protected async sample(atMs: number): Promise<SystemSample> {
    const [gpus, host] = await Promise.all([this.scrape(), this.host.read()]);
    return { atMs, source: 'prometheus', gpus, ...host };
  }

  private async scrape(): Promise<SystemSample['gpus']> {
    try {
      const response = await fetch(this.url, {
        signal: AbortSignal.timeout(Math.max(1000, Math.min(this.intervalMs, 5000))),
      });
      if (!response.ok) return [];
      return prometheusGpus(parsePrometheusText(await response.text()));
    } catch {
      // The server may not be up yet; the sample still carries the host figures.
      return [];
    }
  }
}

/**
 * One `nvidia-smi --query-gpu=... -lms N` process. It prints one line per GPU each period, back to
 * back; a period's lines become one sample when a GPU index repeats or the output pauses.
 */
class NvidiaSmiSampler extends BaseSampler {
  readonly source = 'nvidia-smi' as const;
  private readonly process: LineProcess;
  private group: { lines: string[]; indexes: Set<string>; atMs: number } | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private pending: Promise<void> = Promise.resolve();

  constructor(options: SystemSamplerOptions, command: string) {
    super(options);
    this.process = new LineProcess({
      command,
      args: nvidiaSmiArgs(this.intervalMs),
      env: options.env ?? process.env,
      restartDelayMs: options.restartDelayMs ?? 1000,
      onLine: (line, atMs) => this.onLine(line, atMs),
    });
  }

  async start(): Promise<void> {
    await this.host.read();
    this.process.start();
  }

  async stop(): Promise<void> {
    await this.process.stop();
    this.flush();
    await this.pending;
  }

  private onLine(line: string, atMs: number): void {
    const index = line.split(',')[0]?.trim() ?? '';
    if (this.group && this.group.indexes.has(index)) this.flush();
    if (!this.group) this.group = { lines: [], indexes: new Set(), atMs };
    this.group.lines.push(line);
    this.group.indexes.add(index);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    // Lines of one period arrive within a millisecond or two; a pause of a fraction of the period
    // means the period is complete.
    this.flushTimer = setTimeout(() => this.flush(), Math.min(100, this.intervalMs / 2));
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const group = this.group;
    this.group = null;
    if (!group) return;
    const gpus = parseNvidiaSmiCsv(group.lines.join('\n'));
    if (gpus.length === 0) return;
    this.pending = this.pending.then(async () => {
      const host = await this.host.read().catch(() => null);
      this.store.push({
        atMs: group.atMs,
        source: 'nvidia-smi',
        gpus,
        cpuLoadPct: host?.cpuLoadPct ?? null,
        memoryUsedMb: host?.memoryUsedMb ?? null,
        memoryTotalMb: host?.memoryTotalMb ?? null,
        temperatureC: host?.temperatureC ?? null,
      });
    });
  }
}

/** One `tegrastats --interval N` process; each line is a sample. */
class TegrastatsSampler extends BaseSampler {
  readonly source = 'jetson' as const;
  private readonly process: LineProcess;

  constructor(options: SystemSamplerOptions, command: string) {
    super(options);
    this.process = new LineProcess({
      command,
      args: ['--interval', String(Math.round(this.intervalMs))],
      env: options.env ?? process.env,
      restartDelayMs: options.restartDelayMs ?? 1000,
      onLine: (line, atMs) => {
        const reading = parseTegrastatsLine(line);
        if (reading) this.store.push(tegrastatsSample(reading, atMs));
      },
    });
  }

  async start(): Promise<void> {
    this.process.start();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}

/** The first executable `name` on the PATH of `env`, or null. */
export async function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** True when nvidia-smi answers with at least one GPU (it is installed on machines with no driver). */
async function nvidiaSmiWorks(command: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(command, nvidiaSmiArgs(null), { env, timeout: PROBE_TIMEOUT_MS }, (error, stdout) => {
      resolve(!error && parseNvidiaSmiCsv(String(stdout)).length > 0);
    });
  });
}

/**
 * Picks nvidia-smi, else Jetson (sysfs devfreq, then tegrastats), else the Prometheus URL when given,
 * else CPU-only. The sampler is returned stopped; call start().
 */
export async function createSystemSampler(options: SystemSamplerOptions = {}): Promise<SystemSampler> {
  const env = options.env ?? process.env;
  const nvidiaSmi = await findOnPath('nvidia-smi', env);
  if (nvidiaSmi && (await nvidiaSmiWorks(nvidiaSmi, env))) return new NvidiaSmiSampler(options, nvidiaSmi);

  const gpu = findJetsonGpuDevfreq(await readDevfreq(options.sysfsRoot ?? '/'));
  // Some kernels hide `load` from unprivileged users; tegrastats can still report it.
  if (gpu && devfreqLoadPct(gpu.load) !== null) return new JetsonSysfsSampler(options);
  const tegrastats = await findOnPath('tegrastats', env);
  if (tegrastats) return new TegrastatsSampler(options, tegrastats);
  if (gpu) return new JetsonSysfsSampler(options);

  if (options.prometheusUrl) return new PrometheusSampler(options, options.prometheusUrl);
  return new CpuSampler(options);
}
