/**
 * Reads the device's procfs and sysfs files for the statistics parsers in core/diagnostics. Roots are
 * parameters so tests can point them at a recorded tree; a file that is missing or unreadable (a
 * thermal zone whose sensor is off answers EINVAL) just leaves that reading out.
 */
import { readFile, readdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CpuTicks } from '../../core/diagnostics/cpu-stats';
import {
  cpuLoadBetween,
  loadavgPct,
  maxThermalZoneC,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
} from '../../core/diagnostics/cpu-stats';
import type {
  DevfreqEntry,
  JetsonSysfsReadings,
  PowerRailReading,
  ThermalZoneReading,
} from '../../core/diagnostics/jetson-sysfs';

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

async function list(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch {
    return [];
  }
}

/** The system half of a sample: CPU load, memory and the hottest thermal zone. */
export interface HostReading {
  readonly cpuLoadPct: number | null;
  readonly memoryUsedMb: number | null;
  readonly memoryTotalMb: number | null;
  readonly temperatureC: number | null;
}

/** Every thermal zone under `<sysfsRoot>/sys/class/thermal`. */
export async function readThermalZones(sysfsRoot: string): Promise<ThermalZoneReading[]> {
  const base = join(sysfsRoot, 'sys/class/thermal');
  const zones: ThermalZoneReading[] = [];
  for (const name of await list(base)) {
    if (!name.startsWith('thermal_zone')) continue;
    const [type, temp] = await Promise.all([
      readText(join(base, name, 'type')),
      readText(join(base, name, 'temp')),
    ]);
    if (type !== null && temp !== null) zones.push({ type: type.trim(), temp: temp.trim() });
  }
  return zones;
}

/**
 * Reads CPU load, memory and temperature. CPU load is the busy share since the previous read (the
 * first read primes the counters and falls back to the load average).
 */
export class HostReader {
  private previous: CpuTicks | null = null;

  constructor(
    private readonly procRoot = '/proc',
    private readonly sysfsRoot = '/',
  ) {}

  /** Reads everything once. */
  async read(): Promise<HostReading> {
    const [stat, meminfo, loadavg, zones] = await Promise.all([
      readText(join(this.procRoot, 'stat')),
      readText(join(this.procRoot, 'meminfo')),
      readText(join(this.procRoot, 'loadavg')),
      readThermalZones(this.sysfsRoot),
    ]);
    const ticks = stat === null ? null : parseProcStat(stat);
    let cpuLoadPct: number | null = null;
    if (ticks && this.previous) cpuLoadPct = cpuLoadBetween(this.previous, ticks);
    if (ticks) this.previous = ticks;
    if (cpuLoadPct === null && loadavg !== null) {
      const load = parseLoadavg(loadavg);
      const cores = stat === null ? 0 : stat.split('\n').filter((l) => /^cpu\d+\s/.test(l)).length;
      if (load) cpuLoadPct = loadavgPct(load.one, cores > 0 ? cores : availableParallelism());
    }
    const memory = meminfo === null ? null : parseMeminfo(meminfo);
    return {
      cpuLoadPct,
      memoryUsedMb: memory?.usedMb ?? null,
      memoryTotalMb: memory?.totalMb ?? null,
      temperatureC: maxThermalZoneC(zones),
    };
  }
}

/** Every devfreq device under `<sysfsRoot>/sys/class/devfreq`, with its device-tree name and load. */
export async function readDevfreq(sysfsRoot: string): Promise<DevfreqEntry[]> {
  const base = join(sysfsRoot, 'sys/class/devfreq');
  const entries: DevfreqEntry[] = [];
  for (const name of await list(base)) {
    const [ofNodeName, load] = await Promise.all([
      readText(join(base, name, 'device/of_node/name')),
      readText(join(base, name, 'device/load')),
    ]);
    entries.push({ name, ofNodeName, load });
  }
  return entries;
}

/**
 * The INA3221 power monitor's rails: JetPack 5+ exposes hwmon (`inN_label`, `inN_input` mV,
 * `currN_input` mA), JetPack 4 an iio device (`rail_name_N`, `in_powerN_input` mW).
 */
export async function readPowerRails(sysfsRoot: string): Promise<PowerRailReading[]> {
  const rails: PowerRailReading[] = [];
  const hwmonDriver = join(sysfsRoot, 'sys/bus/i2c/drivers/ina3221');
  for (const device of await list(hwmonDriver)) {
    const hwmonBase = join(hwmonDriver, device, 'hwmon');
    for (const hwmon of await list(hwmonBase)) {
      const dir = join(hwmonBase, hwmon);
      for (const file of await list(dir)) {
        const m = /^in(\d+)_label$/.exec(file);
        if (!m) continue;
        const [label, millivolts, milliamps] = await Promise.all([
          readText(join(dir, file)),
          readText(join(dir, `in${m[1]}_input`)),
          readText(join(dir, `curr${m[1]}_input`)),
        ]);
        if (label !== null) rails.push({ label: label.trim(), millivolts, milliamps });
      }
    }
  }
  const iioDriver = join(sysfsRoot, 'sys/bus/i2c/drivers/ina3221x');
  for (const device of await list(iioDriver)) {
    for (const iio of await list(join(iioDriver, device))) {
      if (!iio.startsWith('iio:device')) continue;
      const dir = join(iioDriver, device, iio);
      for (const file of await list(dir)) {
        const m = /^rail_name_(\d+)$/.exec(file);
        if (!m) continue;
        const [label, milliwatts] = await Promise.all([
          readText(join(dir, file)),
          readText(join(dir, `in_power${m[1]}_input`)),
        ]);
        if (label !== null) rails.push({ label: label.trim(), milliwatts });
      }
    }
  }
  return rails;
}

/** Everything the Jetson sysfs parser needs. */
export async function readJetsonSysfs(sysfsRoot: string): Promise<JetsonSysfsReadings> {
  const [devfreq, thermalZones, powerRails] = await Promise.all([
    readDevfreq(sysfsRoot),
    readThermalZones(sysfsRoot),
    readPowerRails(sysfsRoot),
  ]);
  return { devfreq, thermalZones, powerRails };
}
