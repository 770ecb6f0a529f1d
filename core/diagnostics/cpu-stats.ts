/**
 * CPU, memory and temperature from Linux procfs and sysfs text: the fallback when a device has no GPU
 * tool, and the system half of every sample. CPU load needs two /proc/stat snapshots (the kernel
 * counts ticks since boot); /proc/loadavg is the stand-in when /proc/stat cannot be read.
 */
import type { ThermalZoneReading } from './jetson-sysfs';
import { thermalZoneC } from './jetson-sysfs';

/** Aggregate CPU tick counters from the `cpu` line of /proc/stat. */
export interface CpuTicks {
  readonly busy: number;
  readonly total: number;
}

/** Reads the aggregate `cpu` line; null when the text has none. */
export function parseProcStat(text: string): CpuTicks | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  if (values.length < 4 || values.some((v) => !Number.isFinite(v))) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already counted
  // in user and nice, so only the first eight add up to the total.
  const counted = values.slice(0, 8);
  const idle = (counted[3] ?? 0) + (counted[4] ?? 0);
  const total = counted.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Busy share of all CPUs between two snapshots, in percent; null when no tick passed. */
export function cpuLoadBetween(earlier: CpuTicks, later: CpuTicks): number | null {
  const total = later.total - earlier.total;
  if (total <= 0) return null;
  const busy = Math.max(0, later.busy - earlier.busy);
  return Math.min(100, (busy / total) * 100);
}

/** Load averages from /proc/loadavg. */
export function parseLoadavg(text: string): { readonly one: number; readonly five: number } | null {
  const [one, five] = text.trim().split(/\s+/).map(Number);
  return one === undefined || five === undefined || !Number.isFinite(one) || !Number.isFinite(five)
    ? null
    : { one, five };
}

/** A stand-in for CPU load from the 1-minute load average: runnable tasks per core, capped at 100 %. */
export function loadavgPct(loadOne: number, cpuCount: number): number {
  return Math.min(100, (loadOne / Math.max(1, cpuCount)) * 100);
}

/** Memory in MiB from /proc/meminfo: used is MemTotal − MemAvailable (what `free` calls used). */
export function parseMeminfo(text: string): { readonly totalMb: number; readonly usedMb: number } | null {
  const kib = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const total = kib('MemTotal');
  if (total === null) return null;
  // Kernels before 3.14 have no MemAvailable; free + buffers + cache approximates it.
  const available =
    kib('MemAvailable') ?? (kib('MemFree') ?? 0) + (kib('Buffers') ?? 0) + (kib('Cached') ?? 0);
  return { totalMb: total / 1024, usedMb: (total - available) / 1024 };
}

/** The hottest plausible thermal zone in °C (PMIC die sensors, which read a fixed value, left out). */
export function maxThermalZoneC(zones: readonly ThermalZoneReading[]): number | null {
  const values = zones
    .filter((z) => !/pmic/i.test(z.type))
    .map((z) => thermalZoneC(z.temp))
    .filter((c): c is number => c !== null);
  return values.length === 0 ? null : Math.max(...values);
}
