/**
 * Parses `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` output into GPU samples. The
 * collector asks for NVIDIA_SMI_QUERY_FIELDS; a header line, when present, takes precedence so
 * recorded outputs with other column orders parse too. nvidia-smi prints `[N/A]` or
 * `[Not Supported]` (older drivers: `N/A`) where a GPU cannot report a field (for example memory on
 * a DGX Spark GB10, power on many GeForce cards); those become null, never zero.
 */
import type { GpuSample } from './system-sample';

/** The fields the agent queries, in this order. */
export const NVIDIA_SMI_QUERY_FIELDS = [
  'index',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
] as const;

/** The arguments for one long-lived nvidia-smi that prints a line per GPU every `intervalMs`. */
export function nvidiaSmiArgs(intervalMs: number | null): string[] {
  const args = [`--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
  return intervalMs === null ? args : [...args, '-lms', String(Math.max(1, Math.round(intervalMs)))];
}

const UNAVAILABLE =
  /^\[?\s*(n\/a|not supported|unknown error|insufficient permissions|gpu is lost|requested functionality has been deprecated)\s*\]?$/i;

/** A numeric cell with or without its unit (`54099 MiB`, `100 %`, `23.52 W`), or null. */
export function nvidiaSmiNumber(cell: string | undefined): number | null {
  if (cell === undefined) return null;
  const text = cell.trim();
  if (text === '' || UNAVAILABLE.test(text)) return null;
  const match = /^(-?\d+(?:\.\d+)?)\s*(?:%|MiB|W|C|MHz)?$/.exec(text);
  return match ? Number(match[1]) : null;
}

/** Column name as nvidia-smi prints it in a header (`memory.used [MiB]` → `memory.used`). */
function headerField(cell: string): string {
  return cell.replace(/\s*\[[^\]]*\]\s*$/, '').trim();
}

function isHeader(cells: readonly string[]): boolean {
  return cells.some((c) => headerField(c) === 'index' || headerField(c) === 'name');
}

/**
 * Splits a line into cells. GPU names contain no commas in practice, but if a line carries more cells
 * than fields, the extra ones belong to the name.
 */
function cellsFor(line: string, fields: readonly string[]): string[] {
  const cells = line.split(',').map((c) => c.trim());
  const nameAt = fields.indexOf('name');
  if (cells.length <= fields.length || nameAt < 0) return cells;
  const extra = cells.length - fields.length;
  const name = cells.slice(nameAt, nameAt + extra + 1).join(', ');
  return [...cells.slice(0, nameAt), name, ...cells.slice(nameAt + extra + 1)];
}

/**
 * Parses every GPU line in `text`. Lines that are not GPU rows (warnings, "No devices were found",
 * blank lines) are skipped. `fields` is the query order used when the output has no header.
 */
export function parseNvidiaSmiCsv(
  text: string,
  fields: readonly string[] = NVIDIA_SMI_QUERY_FIELDS,
): GpuSample[] {
  let columns = [...fields];
  const gpus: GpuSample[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const plain = line.split(',').map((c) => c.trim());
    if (isHeader(plain)) {
      columns = plain.map(headerField);
      continue;
    }
    const cells = cellsFor(line, columns);
    if (cells.length !== columns.length) continue;
    const cell = (field: string): string | undefined => {
      const at = columns.indexOf(field);
      return at < 0 ? undefined : cells[at];
    };
    const indexCell = cell('index');
    const index = indexCell === undefined ? gpus.length : Number(indexCell);
    if (!Number.isInteger(index) || index < 0) continue;
    const name = cell('name');
    gpus.push({
      index,
      name: name === undefined || UNAVAILABLE.test(name) ? `GPU ${index}` : name,
      utilizationPct: nvidiaSmiNumber(cell('utilization.gpu')),
      memoryUsedMb: nvidiaSmiNumber(cell('memory.used')),
      memoryTotalMb: nvidiaSmiNumber(cell('memory.total')),
      temperatureC: nvidiaSmiNumber(cell('temperature.gpu')),
      powerW: nvidiaSmiNumber(cell('power.draw') ?? cell('power.draw.instant') ?? cell('power.draw.average')),
    });
  }
  return gpus;
}
