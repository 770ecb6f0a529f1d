import { describe, expect, it } from 'vitest';
import { parsePrometheusText, prometheusGpus } from '../../../../core/diagnostics/prometheus-text';
import { fixture } from '../../../support/diagnostics-fixtures';

describe('Prometheus text from Triton and the DCGM exporter', () => {
  it("reads Triton's nv_gpu_* for four GPUs: ratio to percent, bytes to MiB", () => {
    const gpus = prometheusGpus(parsePrometheusText(fixture('prometheus/triton-4x-v100-16gb.txt')));
    expect(gpus).toHaveLength(4);
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    expect(gpus[0]).toEqual({
      index: 0,
      name: 'GPU 0',
      utilizationPct: 0,
      memoryUsedMb: 7451181056 / 1048576,
      memoryTotalMb: 16944988160 / 1048576,
      temperatureC: null, // Triton publishes no temperature
      powerW: 58.954,
    });
    expect(gpus[3]?.powerW).toBe(58.993);
  });

  it('reads a full DCGM exporter scrape: total memory is used + free', () => {
    const gpus = prometheusGpus(parsePrometheusText(fixture('prometheus/dcgm-exporter-2.0.13.txt')));
    expect(gpus).toEqual([
      {
        index: 0,
        name: 'GPU 0',
        utilizationPct: 0,
        memoryUsedMb: 1057,
        memoryTotalMb: 1057 + 7064,
        temperatureC: 41,
        powerW: 23.528,
      },
    ]);
  });

  it('names GPUs by modelName and keeps their DCGM index, with empty labels present', () => {
    const samples = parsePrometheusText(fixture('prometheus/dcgm-exporter-k8s-3x-k80.txt'));
    expect(samples[0]?.labels).toMatchObject({ gpu: '0', modelName: 'Tesla K80', pod: '' });
    const gpus = prometheusGpus(samples);
    expect(gpus.map((g) => [g.index, g.name, g.utilizationPct])).toEqual([
      [0, 'Tesla K80', 0],
      [1, 'Tesla K80', 0],
      [2, 'Tesla K80', 0],
    ]);
  });

  it("parses DCGM's blank sentinel and never reports it as a reading", () => {
    const samples = parsePrometheusText(fixture('prometheus/dcgm-exporter-readme.txt'));
    expect(samples).toHaveLength(3);
    const gpus = prometheusGpus([
      ...samples,
      {
        name: 'DCGM_FI_DEV_GPU_TEMP',
        labels: { gpu: '0', UUID: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52' },
        value: Number('9223372036854775794'),
      },
      {
        name: 'DCGM_FI_DEV_POWER_USAGE',
        labels: { gpu: '0', UUID: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52' },
        value: 140737488355328,
      },
    ]);
    expect(gpus[0]).toMatchObject({ temperatureC: null, powerW: null, utilizationPct: null });
  });

  it('skips comments and malformed lines, reads escaped label values and a trailing timestamp', () => {
    const samples = parsePrometheusText(
      '# TYPE x gauge\nnot a metric line at all {\nx{a="q\\"uote",b="2"} 1.5 1700000000000\ny NaN\n',
    );
    expect(samples).toHaveLength(2);
    expect(samples[0]).toEqual({ name: 'x', labels: { a: 'q"uote', b: '2' }, value: 1.5 });
    expect(Number.isNaN(samples[1]?.value)).toBe(true);
  });
});
