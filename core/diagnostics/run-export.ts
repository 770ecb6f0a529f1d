/**
 * Exports of a diagnostic run: JSON (the whole run) and CSV (one row per measurement window, then one
 * row per level, with the device's GPU/system figures), for a spreadsheet or a ticket.
 */
import type { DiagnosticRun } from './diagnostic-report';

const WINDOW_COLUMNS = [
  'row',
  'mode',
  'level',
  'window',
  'start',
  'end',
  'requests',
  'successes',
  'errors',
  'throughput_per_s',
  'p50_ms',
  'p90_ms',
  'p95_ms',
  'p99_ms',
  'max_ms',
  'mean_ms',
  'gpu_util_pct',
  'gpu_mem_max_mb',
  'gpu_temp_max_c',
  'gpu_power_w',
  'cpu_load_pct',
] as const;

/** The run as pretty JSON. */
export function runToJson(run: DiagnosticRun): string {
  return `${JSON.stringify(run, null, 2)}\n`;
}

/** The run's windows and levels as CSV (RFC 4180 quoting). */
export function runToCsv(run: DiagnosticRun): string {
  const rows: (string | number | null)[][] = [[...WINDOW_COLUMNS]];
  const errorsOf = (e: Record<string, number>) => Object.values(e).reduce((a, b) => a + b, 0);
  for (const w of run.windows)
    rows.push([
      'window',
      w.mode,
      w.level,
      w.index,
      new Date(w.startMs).toISOString(),
      new Date(w.endMs).toISOString(),
      w.requests,
      w.successes,
      errorsOf(w.errors),
      w.throughput,
      w.latencyMs.p50,
      w.latencyMs.p90,
      w.latencyMs.p95,
      w.latencyMs.p99,
      w.latencyMs.max,
      w.latencyMs.mean,
      w.system?.gpuUtilizationMeanPct ?? null,
      w.system?.gpuMemoryMaxMb ?? null,
      w.system?.gpuTemperatureMaxC ?? null,
      w.system?.gpuPowerMeanW ?? null,
      w.system?.cpuLoadMeanPct ?? null,
    ]);
  for (const l of run.levels)
    rows.push([
      'level',
      l.mode,
      l.level,
      l.stable ? 'stable' : 'unstable',
      new Date(l.startMs).toISOString(),
      new Date(l.endMs).toISOString(),
      l.requests,
      l.successes,
      errorsOf(l.errors),
      l.throughput,
      l.latencyMs.p50,
      l.latencyMs.p90,
      l.latencyMs.p95,
      l.latencyMs.p99,
      l.latencyMs.max,
      l.latencyMs.mean,
      l.system?.gpuUtilizationMeanPct ?? null,
      l.system?.gpuMemoryMaxMb ?? null,
      l.system?.gpuTemperatureMaxC ?? null,
      l.system?.gpuPowerMeanW ?? null,
      l.system?.cpuLoadMeanPct ?? null,
    ]);
  return `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
