import { describe, expect, it } from 'vitest';
import {
  devfreqLoadPct,
  findJetsonGpuDevfreq,
  gpuRailWatts,
  jetsonSysfsGpu,
  railWatts,
} from '../../../../core/diagnostics/jetson-sysfs';

describe('Jetson GPU from sysfs strings', () => {
  it('finds the GPU by its device-tree node name, whatever the devfreq device is called', () => {
    const entries = [
      { name: 'bpmp-emc', ofNodeName: 'external-memory-controller\0', load: null },
      { name: '17000000.ga10b', ofNodeName: 'gpu\0', load: '457\n' },
    ];
    expect(findJetsonGpuDevfreq(entries)?.name).toBe('17000000.ga10b');
  });

  it('falls back to the known devfreq names when of_node is unreadable', () => {
    for (const name of ['57000000.gpu', '17000000.gp10b', '17000000.gv11b', '17000000.gpu']) {
      expect(findJetsonGpuDevfreq([{ name, ofNodeName: null, load: '0' }])?.name).toBe(name);
    }
    expect(findJetsonGpuDevfreq([{ name: 'ff9a0000.gpu-not', ofNodeName: null, load: '0' }])).toBeNull();
  });

  it('reads load as per-mille', () => {
    expect(devfreqLoadPct('990\n')).toBe(99);
    expect(devfreqLoadPct('0')).toBe(0);
    expect(devfreqLoadPct(null)).toBeNull();
    expect(devfreqLoadPct('garbage')).toBeNull();
  });

  it('computes rail power from hwmon (mV × mA) or iio (mW)', () => {
    expect(railWatts({ label: 'VDD_GPU_SOC', millivolts: '5056\n', milliamps: '477\n' })).toBeCloseTo(
      2.4117,
      3,
    );
    expect(railWatts({ label: 'VDD_SYS_GPU', milliwatts: '182' })).toBe(0.182);
    expect(
      gpuRailWatts([
        { label: 'VDD_IN', milliwatts: '5297' },
        { label: 'VDD_SYS_GPU', milliwatts: '182' },
      ]),
    ).toBe(0.182);
    expect(gpuRailWatts([{ label: 'VDD_IN', milliwatts: '5297' }])).toBeNull();
  });

  it('builds the GPU sample with the gpu thermal zone and no GPU memory (shared RAM)', () => {
    const gpu = jetsonSysfsGpu({
      devfreq: [{ name: '57000000.gpu', ofNodeName: 'gpu', load: '250' }],
      thermalZones: [
        { type: 'CPU-therm', temp: '40500' },
        { type: 'GPU-therm', temp: '38000' },
      ],
      powerRails: [{ label: 'POM_5V_GPU', milliwatts: '1200' }],
    });
    expect(gpu).toEqual({
      index: 0,
      name: 'Jetson integrated GPU',
      utilizationPct: 25,
      memoryUsedMb: null,
      memoryTotalMb: null,
      temperatureC: 38,
      powerW: 1.2,
    });
    expect(jetsonSysfsGpu({ devfreq: [], thermalZones: [], powerRails: [] })).toBeNull();
  });
});
