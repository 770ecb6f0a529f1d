import { describe, expect, it } from 'vitest';
import {
  parseTegrastatsLine,
  tegraGpuPowerW,
  tegrastatsSample,
} from '../../../../core/diagnostics/tegrastats';
import { fixture } from '../../../support/diagnostics-fixtures';

function lines(file: string): string[] {
  return fixture(`tegrastats/${file}`)
    .split('\n')
    .filter((l) => l !== '');
}

function first(file: string) {
  const reading = parseTegrastatsLine(lines(file)[0] ?? '');
  if (!reading) throw new Error(`${file} did not parse`);
  return reading;
}

describe('tegrastats across Jetson releases', () => {
  it('L4T 28 (TX1): lower-case cpu list with one clock, GR3D without _FREQ, no sensors or rails', () => {
    const [a, b] = lines('l4t28.1-tx1.txt').map(parseTegrastatsLine);
    expect(a).toMatchObject({ ramUsedMb: 3468, ramTotalMb: 3983, cpuLoadPct: 16, gpuUtilizationPct: 3 });
    expect(a?.gpuFrequenciesMhz).toEqual([76]);
    expect(a?.rails).toEqual([]);
    expect(a?.temperaturesC).toEqual({});
    expect(b?.gpuUtilizationPct).toBe(39);
  });

  it('JetPack 4 TX2: offline cores are left out of the CPU mean; rails without mW are milliwatts', () => {
    const r = first('jetpack4-tx2.txt');
    expect(r.cpuLoadPct).toBe(2);
    expect(r.gpuUtilizationPct).toBe(0);
    expect(r.gpuFrequenciesMhz).toEqual([114]);
    expect(r.temperaturesC['GPU']).toBe(41);
    expect(r.temperaturesC['PMIC']).toBeUndefined(); // fixed 100C, not a measurement
    expect(r.rails).toContainEqual({ name: 'VDD_GPU', currentMw: 400, averageMw: 735 });
    expect(tegraGpuPowerW(r.rails)).toBe(0.4);
    expect(r.printedAt).toBeNull();
  });

  it('JetPack 4 Nano: GR3D_FREQ without a clock, POM_5V_GPU rail', () => {
    const sample = tegrastatsSample(first('jetpack4-nano.txt'), 1000);
    expect(sample.gpus[0]).toMatchObject({ utilizationPct: 0, temperatureC: 41, powerW: 0 });
    expect(sample).toMatchObject({
      source: 'jetson',
      memoryUsedMb: 613,
      memoryTotalMb: 3964,
      temperatureC: 46,
    });
  });

  it('JetPack 4 AGX Xavier: the GPU rail is called plain "GPU"', () => {
    const r = first('jetpack4-agx-xavier.txt');
    expect(tegraGpuPowerW(r.rails)).toBe(0);
    expect(r.rails.map((x) => x.name)).toEqual(['GPU', 'CPU', 'SOC', 'CV', 'VDDRQ', 'SYS5V']);
    expect(r.cpuLoadPct).toBe(0.5);
  });

  it('JetPack 4 TX2 with VDD_SYS_* rails and MTS figures', () => {
    const r = first('jetpack4-tx2-sys-rails.txt');
    expect(tegraGpuPowerW(r.rails)).toBe(0.182);
    expect(r.temperaturesC['GPU']).toBe(39.5);
    expect(r.cpuLoadPct).toBeCloseTo(35);
  });

  it('JetPack 4 Xavier NX: the shared VDD_CPU_GPU_CV rail stands in for the GPU', () => {
    const r = first('jetpack4-xavier-nx.txt');
    expect(tegraGpuPowerW(r.rails)).toBe(2.706);
    expect(r.gpuFrequenciesMhz).toEqual([1109]);
  });

  it('JetPack 4.6.1 Nano: IRAM is not taken for a rail', () => {
    const r = first('jetpack4.6.1-nano.txt');
    expect(r.rails.map((x) => x.name)).toEqual(['POM_5V_IN', 'POM_5V_GPU', 'POM_5V_CPU']);
    expect(r.ramUsedMb).toBe(1923);
  });

  it('JetPack 5: strips the leading timestamp, reads @[MHz] arrays and mW units', () => {
    const r = first('jetpack5.1.2-xavier-nx.txt');
    expect(r.printedAt).toBe('07-09-2024 13:31:31');
    expect(r.gpuFrequenciesMhz).toEqual([114]);
    expect(r.rails).toContainEqual({ name: 'VDD_CPU_GPU_CV', currentMw: 650, averageMw: 670 });
    expect(tegraGpuPowerW(r.rails)).toBe(0.65);
    expect(r.temperaturesC['GPU']).toBe(45.5);
  });

  it('JetPack 6 AGX Orin: lower-case sensors, two GPC clocks, VDD_GPU_SOC rail, every line', () => {
    const samples = lines('jetpack6.2.1-agx-orin-r36.4.4.txt').map((line, i) => {
      const reading = parseTegrastatsLine(line);
      if (!reading) throw new Error('unparsed');
      return tegrastatsSample(reading, i * 1000);
    });
    expect(samples).toHaveLength(3);
    expect(samples[0]?.gpus[0]).toMatchObject({ utilizationPct: 0, powerW: 2.412, temperatureC: null });
    expect(samples[0]?.temperatureC).toBe(52.562);
    expect(samples[0]?.memoryUsedMb).toBe(18207);
    expect(
      parseTegrastatsLine(lines('jetpack6.2.1-agx-orin-r36.4.4.txt')[0] ?? '')?.gpuFrequenciesMhz,
    ).toEqual([0, 0]);
  });

  it('JetPack 7 Thor: GR3D_FREQ without a percentage leaves utilisation null, not zero', () => {
    const r = first('jetpack7-thor-r38.4.0.txt');
    expect(r.gpuUtilizationPct).toBeNull();
    expect(r.gpuFrequenciesMhz).toEqual([0, 0, 0]);
    expect(tegraGpuPowerW(r.rails)).toBe(0);
    expect(r.temperaturesC['tj']).toBe(34.5);
  });

  it('drops sensors that are switched off (-256C)', () => {
    const r = parseTegrastatsLine('RAM 1/2MB GR3D_FREQ 5% CV0@-256C GPU@-256C tj@44.343C');
    expect(r?.temperaturesC).toEqual({ tj: 44.343 });
  });

  it('returns null for a line that is not tegrastats output', () => {
    expect(parseTegrastatsLine('tegrastats: command not found')).toBeNull();
  });
});
