/**
 * Prometheus text exposition format (version 0.0.4) and the GPU metrics two NVIDIA exporters publish:
 * Triton Inference Server's `nv_gpu_*` (utilisation as a 0–1 ratio, memory in bytes, power in watts,
 * labelled by `gpu_uuid`) and the DCGM exporter's `DCGM_FI_DEV_*` (utilisation in %, framebuffer in
 * MiB, temperature in °C, power in watts, labelled by `gpu`, `UUID` and, in newer releases,
 * `modelName`). DCGM reports a field it cannot read as a "blank" sentinel near 2^63; that is null.
 */
import type { GpuSample } from './system-sample';

/** One sample line: metric name, labels and value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = label.exec(text)) !== null) {
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  return Number(text);
}

/** Parses every sample line; comments, HELP/TYPE lines and malformed lines are skipped. */
export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const value = parseValue(m[3] ?? '');
    if (Number.isNaN(value) && m[3] !== 'NaN') continue;
    samples.push({ name: m[1] ?? '', labels: parseLabels(m[2] ?? ''), value });
  }
  return samples;
}

// DCGM marks a value it could not read with a "blank": DCGM_INT32_BLANK is 0x7ffffff0,
// DCGM_INT64_BLANK 0x7ffffffffffffff0 and DCGM_FP64_BLANK 140737488355328.0 (2^47). Integer fields
// (utilisation, temperature, framebuffer MiB) are blank at or above the int32 one, floating-point
// fields (power) at or above 2^47. NaN and infinities are no value either.
const INT_BLANK = 0x7ffffff0;
const FP64_BLANK = 140737488355328;

function reading(value: number | undefined, blankAt = FP64_BLANK): number | null {
  if (value === undefined || !Number.isFinite(value)) return null;
  return value >= blankAt ? null : value;
}

const MIB = 1024 * 1024;

interface GpuBuilder {
  index: number;
  name: string;
  utilizationPct: number | null;
  memoryUsedMb: number | null;
  memoryTotalMb: number | null;
  memoryFreeMb: number | null;
  temperatureC: number | null;
  powerW: number | null;
}

/**
 * GPU samples from Triton (`nv_gpu_*`) or DCGM exporter (`DCGM_FI_DEV_*`) metrics. Both name a GPU
 * by its UUID, so when one scrape holds both, each GPU's figures merge into one sample.
 */
export function prometheusGpus(samples: readonly PrometheusSample[]): GpuSample[] {
  const byKey = new Map<string, GpuBuilder>();
  const gpu = (key: string, index: number | null, name: string | null): GpuBuilder => {
    let entry = byKey.get(key);
    if (!entry) {
      const at = index ?? byKey.size;
      entry = {
        index: at,
        name: name ?? `GPU ${at}`,
        utilizationPct: null,
        memoryUsedMb: null,
        memoryTotalMb: null,
        memoryFreeMb: null,
        temperatureC: null,
        powerW: null,
      };
      byKey.set(key, entry);
    }
    if (name && entry.name.startsWith('GPU ')) entry.name = name;
    return entry;
  };

  for (const s of samples) {
    if (s.name.startsWith('DCGM_FI_DEV_')) {
      const indexLabel = s.labels['gpu'];
      const index = indexLabel !== undefined && /^\d+$/.test(indexLabel) ? Number(indexLabel) : null;
      const uuid = s.labels['UUID'] ?? s.labels['uuid'] ?? `dcgm-${indexLabel ?? '?'}`;
      // MIG instances carry GPU_I_ID; they share the parent GPU's device-level fields.
      if (s.labels['GPU_I_ID'] !== undefined && s.labels['GPU_I_ID'] !== '') continue;
      const g = gpu(uuid, index, s.labels['modelName'] ?? null);
      switch (s.name) {
        case 'DCGM_FI_DEV_GPU_UTIL':
          g.utilizationPct = reading(s.value, INT_BLANK);
          break;
        case 'DCGM_FI_DEV_FB_USED':
          g.memoryUsedMb = reading(s.value, INT_BLANK);
          break;
        case 'DCGM_FI_DEV_FB_FREE':
          g.memoryFreeMb = reading(s.value, INT_BLANK);
          break;
        case 'DCGM_FI_DEV_FB_TOTAL':
          g.memoryTotalMb = reading(s.value, INT_BLANK);
          break;
        case 'DCGM_FI_DEV_GPU_TEMP':
          g.temperatureC = reading(s.value, INT_BLANK);
          break;
        case 'DCGM_FI_DEV_POWER_USAGE':
          g.powerW = reading(s.value);
          break;
        default:
          break;
      }
    } else if (s.name.startsWith('nv_gpu_')) {
      const uuid = s.labels['gpu_uuid'];
      if (uuid === undefined) continue;
      const g = gpu(uuid, null, null);
      const value = reading(s.value);
      switch (s.name) {
        case 'nv_gpu_utilization':
          g.utilizationPct = value === null ? null : value * 100;
          break;
        case 'nv_gpu_memory_used_bytes':
          g.memoryUsedMb = value === null ? null : value / MIB;
          break;
        case 'nv_gpu_memory_total_bytes':
          g.memoryTotalMb = value === null ? null : value / MIB;
          break;
        case 'nv_gpu_power_usage':
          g.powerW = value;
          break;
        default:
          break;
      }
    }
  }

  return [...byKey.values()]
    .map((g) => ({
      index: g.index,
      name: g.name,
      utilizationPct: g.utilizationPct,
      memoryUsedMb: g.memoryUsedMb,
      memoryTotalMb:
        g.memoryTotalMb ??
        (g.memoryUsedMb !== null && g.memoryFreeMb !== null ? g.memoryUsedMb + g.memoryFreeMb : null),
      temperatureC: g.temperatureC,
      powerW: g.powerW,
    }))
    .sort((a, b) => a.index - b.index);
}
