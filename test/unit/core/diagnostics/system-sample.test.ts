import { describe, expect, it } from 'vitest';
import type { GpuSample, SystemSample } from '../../../../core/diagnostics/system-sample';
import { summarizeWindow } from '../../../../core/diagnostics/system-sample';

function gpu(index: number, partial: Partial<GpuSample>): GpuSample {
  return {
    index,
    name: `GPU ${index}`,
    utilizationPct: null,
    memoryUsedMb: null,
    memoryTotalMb: 16384,
    temperatureC: null,
    powerW: null,
    ...partial,
  };
}

function sample(atMs: number, gpus: GpuSample[], host: Partial<SystemSample> = {}): SystemSample {
  return {
    atMs,
    source: 'nvidia-smi',
    gpus,
    cpuLoadPct: null,
    memoryUsedMb: null,
    memoryTotalMb: null,
    temperatureC: null,
    ...host,
  };
}

describe('summarizeWindow', () => {
  const samples = [
    sample(900, [gpu(0, { utilizationPct: 100, powerW: 300, memoryUsedMb: 9000 })]),
    sample(1000, [gpu(0, { utilizationPct: 40, powerW: 100, memoryUsedMb: 1000, temperatureC: 50 })], {
      cpuLoadPct: 10,
      memoryUsedMb: 2000,
      temperatureC: 45,
    }),
    sample(1500, [gpu(0, { utilizationPct: 60, powerW: 200, memoryUsedMb: 3000, temperatureC: 55 })], {
      cpuLoadPct: 30,
      memoryUsedMb: 2500,
      temperatureC: 44,
    }),
    sample(2000, [gpu(0, { utilizationPct: 80, powerW: 300, memoryUsedMb: 2000, temperatureC: 52 })]),
    sample(2100, [gpu(0, { utilizationPct: 0, powerW: 0, memoryUsedMb: 20000 })]),
  ];

  it('takes the samples inside the window (bounds included): mean utilisation and power, max memory', () => {
    expect(summarizeWindow(samples, 1000, 2000)).toEqual({
      samples: 3,
      gpuUtilizationMeanPct: 60,
      gpuPowerMeanW: 200,
      gpuMemoryMaxMb: 3000,
      gpuTemperatureMaxC: 55,
      cpuLoadMeanPct: 20,
      memoryMaxMb: 2500,
      temperatureMaxC: 45,
    });
  });

  it('adds power and memory over GPUs, and averages utilisation over every GPU reading', () => {
    const stats = summarizeWindow(
      [
        sample(0, [
          gpu(0, { utilizationPct: 90, powerW: 250, memoryUsedMb: 7000 }),
          gpu(1, { utilizationPct: 10, powerW: 50, memoryUsedMb: 500 }),
        ]),
      ],
      0,
      0,
    );
    expect(stats).toMatchObject({ gpuUtilizationMeanPct: 50, gpuPowerMeanW: 300, gpuMemoryMaxMb: 7500 });
  });

  it('leaves a figure no sample reported as null rather than zero', () => {
    const stats = summarizeWindow([sample(0, [gpu(0, {})]), sample(1, [])], 0, 10);
    expect(stats).toEqual({
      samples: 2,
      gpuUtilizationMeanPct: null,
      gpuPowerMeanW: null,
      gpuMemoryMaxMb: null,
      gpuTemperatureMaxC: null,
      cpuLoadMeanPct: null,
      memoryMaxMb: null,
      temperatureMaxC: null,
    });
    expect(summarizeWindow(samples, 5000, 6000).samples).toBe(0);
  });
});
