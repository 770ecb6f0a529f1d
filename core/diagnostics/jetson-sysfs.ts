/**
 * Jetson GPU readings from sysfs, the way jetson-stats (jtop) reads them: the integrated GPU is the
 * devfreq device whose device-tree node is named `gpu` (57000000.gpu on Nano/TX1, 17000000.gp10b on
 * TX2, 17000000.gv11b on Xavier, 17000000.ga10b or 17000000.gpu on Orin); its `device/load` is the
 * busy share in per-mille. Temperatures come from thermal zones (`GPU-therm` up to JetPack 4,
 * `gpu-thermal` from JetPack 5), power from the INA3221 monitor's hwmon or iio rails. The agent reads
 * the files; these functions only interpret the strings, so tests feed them recorded values.
 */
import type { GpuSample } from './system-sample';
import { JETSON_GPU_NAME } from './tegrastats';

/** One /sys/class/devfreq entry as the agent read it (null where a file was missing). */
export interface DevfreqEntry {
  readonly name: string;
  /** Contents of `device/of_node/name`. */
  readonly ofNodeName: string | null;
  /** Contents of `device/load` (per-mille). */
  readonly load: string | null;
}

/** One thermal zone: contents of `type` and `temp` (millidegrees Celsius). */
export interface ThermalZoneReading {
  readonly type: string;
  readonly temp: string;
}

/**
 * One power-monitor rail. JetPack 5+ hwmon gives a label with millivolts and milliamps
 * (`inN_label`, `inN_input`, `currN_input`); JetPack 4 iio gives `rail_name_N` with
 * `in_power N_input` in milliwatts.
 */
export interface PowerRailReading {
  readonly label: string;
  readonly milliwatts?: string | null;
  readonly millivolts?: string | null;
  readonly milliamps?: string | null;
}

/** Everything the agent read for one Jetson sysfs sample. */
export interface JetsonSysfsReadings {
  readonly devfreq: readonly DevfreqEntry[];
  readonly thermalZones: readonly ThermalZoneReading[];
  readonly powerRails: readonly PowerRailReading[];
}

// devfreq device names of the integrated GPU on each Jetson generation, for kernels whose
// of_node name is unreadable.
const GPU_DEVFREQ_NAME = /\.(gpu|gm20b|gp10b|gv11b|ga10b|gb10b)$/;

/** The integrated GPU's devfreq entry, or null when this is not a Jetson (or the GPU is hidden). */
export function findJetsonGpuDevfreq(entries: readonly DevfreqEntry[]): DevfreqEntry | null {
  return (
    entries.find((e) => e.ofNodeName?.replace(/\0/g, '').trim() === 'gpu') ??
    entries.find((e) => GPU_DEVFREQ_NAME.test(e.name)) ??
    null
  );
}

function integer(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null;
  const trimmed = text.trim();
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** GPU busy share in percent from `device/load` (0–1000 per-mille). */
export function devfreqLoadPct(load: string | null): number | null {
  const perMille = integer(load);
  return perMille === null || perMille < 0 ? null : Math.min(100, perMille / 10);
}

/** Degrees Celsius from a thermal zone's millidegrees; null for disabled (-256 °C) or absurd values. */
export function thermalZoneC(temp: string): number | null {
  const milli = integer(temp);
  if (milli === null) return null;
  const celsius = milli / 1000;
  return celsius > -40 && celsius < 150 ? celsius : null;
}

/** The GPU's thermal zone (`GPU-therm`, `gpu-thermal`), or null. */
export function gpuThermalZoneC(zones: readonly ThermalZoneReading[]): number | null {
  const zone = zones.find((z) => /^gpu[-_]?therm/i.test(z.type.trim()));
  return zone ? thermalZoneC(zone.temp) : null;
}

/** Rail power in watts, from milliwatts or from millivolts × milliamps. */
export function railWatts(rail: PowerRailReading): number | null {
  const mw = integer(rail.milliwatts);
  if (mw !== null) return mw / 1000;
  const mv = integer(rail.millivolts);
  const ma = integer(rail.milliamps);
  return mv === null || ma === null ? null : (mv * ma) / 1e6;
}

// Same order as tegrastats: a dedicated GPU rail first, then the shared rails that include it.
const GPU_RAIL_LABELS = ['VDD_GPU', 'VDD_SYS_GPU', 'POM_5V_GPU', 'GPU', 'VDD_GPU_SOC', 'VDD_CPU_GPU_CV'];

/** The GPU rail's power in watts, or null when the module has no rail that covers the GPU. */
export function gpuRailWatts(rails: readonly PowerRailReading[]): number | null {
  for (const label of GPU_RAIL_LABELS) {
    const rail = rails.find((r) => r.label.trim().toUpperCase() === label);
    if (rail) return railWatts(rail);
  }
  return null;
}

/** The Jetson GPU as a sample, or null when no GPU devfreq entry is present. */
export function jetsonSysfsGpu(readings: JetsonSysfsReadings): GpuSample | null {
  const gpu = findJetsonGpuDevfreq(readings.devfreq);
  if (!gpu) return null;
  return {
    index: 0,
    name: JETSON_GPU_NAME,
    utilizationPct: devfreqLoadPct(gpu.load),
    // Shared RAM: see tegrastatsSample.
    memoryUsedMb: null,
    memoryTotalMb: null,
    temperatureC: gpuThermalZoneC(readings.thermalZones),
    powerW: gpuRailWatts(readings.powerRails),
  };
}
