import { describe, expect, it } from 'vitest';
import {
  NVIDIA_SMI_QUERY_FIELDS,
  nvidiaSmiArgs,
  nvidiaSmiNumber,
  parseNvidiaSmiCsv,
} from '../../../../core/diagnostics/nvidia-smi-csv';
import { fixture } from '../../../support/diagnostics-fixtures';

const NETDATA_FIELDS = [
  'index',
  'utilization.gpu',
  'utilization.memory',
  'memory.total',
  'memory.used',
  'memory.free',
  'fan.speed',
  'temperature.gpu',
];

describe('nvidia-smi --query-gpu CSV', () => {
  it('asks one long-lived process for the agreed fields in CSV without header or units', () => {
    expect(nvidiaSmiArgs(500)).toEqual([
      `--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      '500',
    ]);
    expect(nvidiaSmiArgs(null)).not.toContain('-lms');
  });

  it('reads a real H100 recording in the agent’s own field order (one -lms process)', () => {
    const text = fixture('nvidia-smi/h100-query-gpu-noheader-nounits-lms.csv');
    const lines = text.trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    const gpus = parseNvidiaSmiCsv(lines[0] as string, NVIDIA_SMI_QUERY_FIELDS);
    expect(gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        utilizationPct: 0,
        memoryUsedMb: 0,
        memoryTotalMb: 81559,
        temperatureC: 49,
        powerW: 80.97,
      },
    ]);
  });

  it('reads two GPUs and turns [Not Supported] into null, not zero', () => {
    const gpus = parseNvidiaSmiCsv(fixture('nvidia-smi/two-gpus-not-supported.csv'), NETDATA_FIELDS);
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toEqual({
      index: 0,
      name: 'GPU 0',
      utilizationPct: 0,
      memoryUsedMb: 10,
      memoryTotalMb: 4095,
      temperatureC: 33,
      powerW: null,
    });
    expect(gpus[1]).toMatchObject({ index: 1, utilizationPct: null, memoryUsedMb: 722, memoryTotalMb: 1023 });
    expect(gpus[1]?.temperatureC).toBe(37);
  });

  it('reads the second host of the same recording, where every field is supported', () => {
    const gpus = parseNvidiaSmiCsv(fixture('nvidia-smi/two-gpus-second-host.csv'), NETDATA_FIELDS);
    expect(gpus.map((g) => [g.index, g.utilizationPct, g.memoryUsedMb, g.memoryTotalMb])).toEqual([
      [0, 0, 24, 4095],
      [1, 0, 190, 2047],
    ]);
  });

  it('follows a header line with units, and reads [N/A] memory on a unified-memory GB10 as null', () => {
    const gpus = parseNvidiaSmiCsv(fixture('nvidia-smi/gb10-header-na.csv'));
    expect(gpus).toEqual([
      {
        index: 0,
        name: 'NVIDIA GB10',
        utilizationPct: null,
        memoryUsedMb: null,
        memoryTotalMb: null,
        temperatureC: null,
        powerW: null,
      },
    ]);
  });

  it('reads [N/A] in a nounits row of a query without index', () => {
    const gpus = parseNvidiaSmiCsv(fixture('nvidia-smi/gb10-memory-na-nounits.csv'), [
      'memory.used',
      'memory.total',
      'utilization.memory',
    ]);
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({ index: 0, memoryUsedMb: null, memoryTotalMb: null });
  });

  it('reads an older driver that prints N/A without brackets, in any column order', () => {
    const fields = [
      'power.limit',
      'power.min_limit',
      'power.max_limit',
      'memory.total',
      'vbios_version',
      'driver_version',
      'name',
      'gpu_uuid',
      'power.draw',
      'temperature.gpu',
      'temperature.memory',
      'clocks.current.graphics',
      'clocks.sm',
      'clocks.mem',
      'utilization.gpu',
      'utilization.memory',
      'fan.speed',
      'pcie.link.width.current',
      'pstate',
    ];
    const [gpu] = parseNvidiaSmiCsv(fixture('nvidia-smi/rtx2080-nounits-na.csv'), fields);
    expect(gpu).toEqual({
      index: 0,
      name: 'GeForce RTX 2080',
      utilizationPct: 86,
      memoryUsedMb: null,
      memoryTotalMb: 7979,
      temperatureC: 45,
      powerW: 176.98,
    });
  });

  it('skips what is not a GPU row: the no-driver message, warnings, blank lines', () => {
    const text =
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\nNo devices were found\n";
    expect(parseNvidiaSmiCsv(text)).toEqual([]);
  });

  it('reads cells with their units, and every spelling of "no value"', () => {
    expect(nvidiaSmiNumber('54099 MiB')).toBe(54099);
    expect(nvidiaSmiNumber('100 %')).toBe(100);
    expect(nvidiaSmiNumber('23.52 W')).toBe(23.52);
    for (const none of ['[N/A]', 'N/A', '[Not Supported]', '[Unknown Error]', '', undefined]) {
      expect(nvidiaSmiNumber(none)).toBeNull();
    }
  });
});
