/**
 * Parses one line of NVIDIA Jetson `tegrastats` output. The format drifted across releases and the
 * parser accepts all of these (fixtures in test/fixtures/diagnostics/tegrastats/):
 * - L4T 28 (TX1): `cpu [17%,13%]@408 ... GR3D 3%@76`, no temperatures or rails;
 * - JetPack 4.x (L4T 32): `CPU [2%@345,off,...] ... GR3D_FREQ 0%@114` or `GR3D_FREQ 0%`, rails as
 *   `VDD_GPU 400/735` or `POM_5V_GPU 0/0` (milliwatts without a unit), `GPU 463/463` on AGX Xavier;
 * - JetPack 5.x (L4T 35): a leading `MM-DD-YYYY HH:MM:SS` timestamp, `GR3D_FREQ 0%@[114]`, rails
 *   with `mW` units, disabled sensors reported as `-256C`;
 * - JetPack 6.x (L4T 36): lower-case sensor names (`cpu@52.5C tj@52.5C`), `GR3D_FREQ 0%@[0,0]`;
 * - JetPack 7 (L4T 38, Thor): `GR3D_FREQ @[0,0,0]` with no percentage (then utilisation is null).
 */
import type { GpuSample, SystemSample } from './system-sample';

/** One rail of the on-board power monitor, in milliwatts. */
export interface TegraPowerRail {
  readonly name: string;
  readonly currentMw: number;
  readonly averageMw: number;
}

/** What one tegrastats line says, fields null where that release does not print them. */
export interface TegrastatsReading {
  /** The line's own `MM-DD-YYYY HH:MM:SS` stamp (device local time, JetPack 5+), as printed. */
  readonly printedAt: string | null;
  readonly ramUsedMb: number | null;
  readonly ramTotalMb: number | null;
  /** Mean load of the online cores; offline (`off`) cores are left out. */
  readonly cpuLoadPct: number | null;
  readonly gpuUtilizationPct: number | null;
  /** GPU clock(s) in MHz; several on Orin and Thor (one per GPC cluster). */
  readonly gpuFrequenciesMhz: readonly number[];
  /** Sensors that reported a plausible value (disabled ones print -256C and are dropped). */
  readonly temperaturesC: Readonly<Record<string, number>>;
  readonly rails: readonly TegraPowerRail[];
}

const TIMESTAMP = /^(\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2})\s+/;
const RAM = /\bRAM (\d+)\/(\d+)MB\b/;
const CPU = /\bCPU \[([^\]]*)\]/i;
// `GR3D_FREQ 0%@[0,0]`, `GR3D_FREQ 0%@114`, `GR3D_FREQ 0%`, `GR3D_FREQ @[0,0,0]`, `GR3D 3%@76`.
const GR3D = /\bGR3D(?:_FREQ)?\s+(?:(\d+)%)?(?:@\[?([\d,]+)\]?)?/;
const TEMPERATURE = /\b([A-Za-z][A-Za-z0-9_]*)@(-?\d+(?:\.\d+)?)C\b/g;
const RAIL = /\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?\/(\d+)(?:mW)?(?=\s|$)/g;

/** Power-monitor rails that measure the GPU, best first: dedicated rails, then shared ones. */
const GPU_RAILS = ['VDD_GPU', 'VDD_SYS_GPU', 'POM_5V_GPU', 'GPU', 'VDD_GPU_SOC', 'VDD_CPU_GPU_CV'];

// Sensors that do not measure a temperature: the PMIC die sensor on Nano/TX2/Xavier reads a fixed
// 100C or 50C; -256C marks a sensor that is switched off (CV clusters, GPU when rail-gated).
function plausibleTemperature(name: string, celsius: number): boolean {
  return !/^pmic/i.test(name) && celsius > -40 && celsius < 150;
}

/** Parses one tegrastats line; null when the line is not tegrastats output at all. */
export function parseTegrastatsLine(line: string): TegrastatsReading | null {
  const stamp = TIMESTAMP.exec(line);
  const body = stamp ? line.slice(stamp[0].length) : line;
  const ram = RAM.exec(body);
  const gr3d = GR3D.exec(body);
  if (!ram && !gr3d) return null;

  const cpu = CPU.exec(body);
  const coreLoads = (cpu?.[1] ?? '')
    .split(',')
    .map((core) => /^(\d+)%/.exec(core.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));

  const temperaturesC: Record<string, number> = {};
  for (const m of body.matchAll(TEMPERATURE)) {
    const name = m[1] ?? '';
    const celsius = Number(m[2]);
    if (plausibleTemperature(name, celsius)) temperaturesC[name] = celsius;
  }

  const rails: TegraPowerRail[] = [];
  for (const m of body.matchAll(RAIL)) {
    rails.push({ name: m[1] ?? '', currentMw: Number(m[2]), averageMw: Number(m[3]) });
  }

  return {
    printedAt: stamp?.[1] ?? null,
    ramUsedMb: ram ? Number(ram[1]) : null,
    ramTotalMb: ram ? Number(ram[2]) : null,
    cpuLoadPct: coreLoads.length === 0 ? null : coreLoads.reduce((a, b) => a + b, 0) / coreLoads.length,
    gpuUtilizationPct: gr3d?.[1] === undefined ? null : Number(gr3d[1]),
    gpuFrequenciesMhz: (gr3d?.[2] ?? '')
      .split(',')
      .filter((f) => f !== '')
      .map(Number),
    temperaturesC,
    rails,
  };
}

/** The GPU's own power rail in watts (see GPU_RAILS), or null when the module has none. */
export function tegraGpuPowerW(rails: readonly TegraPowerRail[]): number | null {
  for (const name of GPU_RAILS) {
    const rail = rails.find((r) => r.name === name);
    if (rail) return rail.currentMw / 1000;
  }
  return null;
}

/** The GPU sensor (`GPU@`, `gpu@`), or null. */
export function tegraGpuTemperatureC(temperaturesC: Readonly<Record<string, number>>): number | null {
  const key = Object.keys(temperaturesC).find((k) => k.toLowerCase() === 'gpu');
  return key === undefined ? null : (temperaturesC[key] ?? null);
}

/** The hottest plausible sensor: what decides throttling on a Jetson. */
export function tegraMaxTemperatureC(temperaturesC: Readonly<Record<string, number>>): number | null {
  const values = Object.values(temperaturesC);
  return values.length === 0 ? null : Math.max(...values);
}

/** Name the Jetson integrated GPU gets in samples (tegrastats does not print one). */
export const JETSON_GPU_NAME = 'Jetson integrated GPU';

/**
 * Turns a reading into a sample. GPU memory stays null: the Jetson GPU shares RAM with the CPU and
 * tegrastats cannot tell the GPU's part, so RAM is reported as system memory instead.
 */
export function tegrastatsSample(reading: TegrastatsReading, atMs: number): SystemSample {
  const gpu: GpuSample = {
    index: 0,
    name: JETSON_GPU_NAME,
    utilizationPct: reading.gpuUtilizationPct,
    memoryUsedMb: null,
    memoryTotalMb: null,
    temperatureC: tegraGpuTemperatureC(reading.temperaturesC),
    powerW: tegraGpuPowerW(reading.rails),
  };
  return {
    atMs,
    source: 'jetson',
    gpus: [gpu],
    cpuLoadPct: reading.cpuLoadPct,
    memoryUsedMb: reading.ramUsedMb,
    memoryTotalMb: reading.ramTotalMb,
    temperatureC: tegraMaxTemperatureC(reading.temperaturesC),
  };
}
