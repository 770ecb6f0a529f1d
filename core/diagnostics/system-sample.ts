/**
 * The shape of one GPU/system statistics sample and the per-window summary the diagnostics
 * verdict reads. Pure: no I/O. Collectors live in agent/diagnostics/.
 */

/**
 * One GPU's readings at one instant; null where the tool reported nothing ([N/A], missing). Memory is
 * in MiB, the unit nvidia-smi, DCGM and Triton (bytes / 2^20) report, so "Mb" here means mebibytes.
 */
export interface GpuSample {
  readonly index: number;
  readonly name: string;
  readonly utilizationPct: number | null;
  readonly memoryUsedMb: number | null;
  readonly memoryTotalMb: number | null;
  readonly temperatureC: number | null;
  readonly powerW: number | null;
}

/** Where a sample came from. */
export type SampleSource = 'nvidia-smi' | 'jetson' | 'prometheus' | 'cpu';

/** All readings at one instant (epoch ms). */
export interface SystemSample {
  readonly atMs: number;
  readonly source: SampleSource;
  readonly gpus: readonly GpuSample[];
  readonly cpuLoadPct: number | null;
  readonly memoryUsedMb: number | null;
  readonly memoryTotalMb: number | null;
  readonly temperatureC: number | null;
}

/** Aggregates over one measurement window: means of utilisation/power/load, maxima of memory/temperature. */
export interface WindowStats {
  readonly samples: number;
  readonly gpuUtilizationMeanPct: number | null;
  readonly gpuPowerMeanW: number | null;
  readonly gpuMemoryMaxMb: number | null;
  readonly gpuTemperatureMaxC: number | null;
  readonly cpuLoadMeanPct: number | null;
  readonly memoryMaxMb: number | null;
  readonly temperatureMaxC: number | null;
}

/**
 * Summarises the samples taken inside one measurement window (fromMs <= atMs <= toMs). Utilisation is
 * the mean over every GPU reading; power is the mean of each sample's total over all GPUs (watts add
 * up); GPU memory is the largest total used over all GPUs; temperatures are maxima. A figure no
 * sample reported stays null, so "not measured" is never shown as zero.
 */
export function summarizeWindow(samples: readonly SystemSample[], fromMs: number, toMs: number): WindowStats {
  const inWindow = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const utilization: number[] = [];
  const power: number[] = [];
  const gpuMemory: number[] = [];
  const gpuTemperature: number[] = [];
  for (const sample of inWindow) {
    for (const gpu of sample.gpus) {
      if (gpu.utilizationPct !== null) utilization.push(gpu.utilizationPct);
      if (gpu.temperatureC !== null) gpuTemperature.push(gpu.temperatureC);
    }
    const sampleWatts = sumOrNull(sample.gpus.map((g) => g.powerW));
    if (sampleWatts !== null) power.push(sampleWatts);
    const sampleMemory = sumOrNull(sample.gpus.map((g) => g.memoryUsedMb));
    if (sampleMemory !== null) gpuMemory.push(sampleMemory);
  }
  return {
    samples: inWindow.length,
    gpuUtilizationMeanPct: mean(utilization),
    gpuPowerMeanW: mean(power),
    gpuMemoryMaxMb: max(gpuMemory),
    gpuTemperatureMaxC: max(gpuTemperature),
    cpuLoadMeanPct: mean(present(inWindow.map((s) => s.cpuLoadPct))),
    memoryMaxMb: max(present(inWindow.map((s) => s.memoryUsedMb))),
    temperatureMaxC: max(present(inWindow.map((s) => s.temperatureC))),
  };
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((v): v is number => v !== null && Number.isFinite(v));
}

/** Sum of the values reported; null when none was (one GPU without a reading does not void the rest). */
function sumOrNull(values: readonly (number | null)[]): number | null {
  const known = present(values);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function max(values: readonly number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}
