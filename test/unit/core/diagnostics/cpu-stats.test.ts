import { describe, expect, it } from 'vitest';
import {
  cpuLoadBetween,
  loadavgPct,
  maxThermalZoneC,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
} from '../../../../core/diagnostics/cpu-stats';
import { fixture } from '../../../support/diagnostics-fixtures';

describe('CPU, memory and thermal zones from procfs and sysfs', () => {
  it('reads the aggregate cpu line of a recorded /proc/stat', () => {
    const ticks = parseProcStat(fixture('proc/stat'));
    expect(ticks).not.toBeNull();
    expect(ticks!.total).toBeGreaterThan(ticks!.busy);
    expect(ticks!.busy).toBeGreaterThan(0);
  });

  it('computes the busy share between two snapshots, ignoring guest time counted twice', () => {
    const before = parseProcStat('cpu  100 0 100 800 0 0 0 0 50 0\ncpu0 1 2 3 4\n');
    const after = parseProcStat('cpu  200 0 200 1400 0 0 0 0 90 0\ncpu0 1 2 3 4\n');
    expect(cpuLoadBetween(before!, after!)).toBe(25);
    expect(cpuLoadBetween(after!, after!)).toBeNull();
  });

  it('reads used memory as MemTotal − MemAvailable from a recorded /proc/meminfo', () => {
    const text = fixture('proc/meminfo');
    const memory = parseMeminfo(text);
    const total = Number(/^MemTotal:\s+(\d+)/m.exec(text)?.[1]);
    const available = Number(/^MemAvailable:\s+(\d+)/m.exec(text)?.[1]);
    expect(memory).toEqual({ totalMb: total / 1024, usedMb: (total - available) / 1024 });
  });

  it('falls back to free + buffers + cache on kernels without MemAvailable', () => {
    const memory = parseMeminfo('MemTotal: 4096 kB\nMemFree: 1024 kB\nBuffers: 512 kB\nCached: 512 kB\n');
    expect(memory).toEqual({ totalMb: 4, usedMb: 2 });
  });

  it('reads the load average from a recorded /proc/loadavg and scales it per core', () => {
    const load = parseLoadavg(fixture('proc/loadavg'));
    expect(load!.one).toBeGreaterThanOrEqual(0);
    expect(loadavgPct(1, 4)).toBe(25);
    expect(loadavgPct(9, 4)).toBe(100);
  });

  it('takes the hottest plausible zone, leaving out PMIC and switched-off sensors', () => {
    expect(
      maxThermalZoneC([
        { type: 'CPU-therm', temp: '40500' },
        { type: 'PMIC-Die', temp: '100000' },
        { type: 'CV0-therm', temp: '-256000' },
        { type: 'GPU-therm', temp: '41000' },
      ]),
    ).toBe(41);
    expect(maxThermalZoneC([])).toBeNull();
  });
});
