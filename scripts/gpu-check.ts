/**
 * GPU check (optional; needs a machine with an NVIDIA GPU): runs the agent's statistics collector
 * against the real nvidia-smi for a few seconds and compares what it parsed with nvidia-smi's own
 * `--format=csv` output taken at the same moments. Prints a pass/fail table; exit 0 when every row
 * passes, 1 when one fails, 2 when there is no working nvidia-smi. With `--out DIR` it also keeps the
 * raw outputs, which become fixtures (test/fixtures/diagnostics/nvidia-smi/h100-*.csv).
 *
 *   npx tsx scripts/gpu-check.ts [--seconds 5] [--out DIR]     (or scripts/gpu-check.sh)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSystemSampler, findOnPath } from '../agent/diagnostics/system-sampler';
import { NVIDIA_SMI_QUERY_FIELDS, parseNvidiaSmiCsv } from '../core/diagnostics/nvidia-smi-csv';
import type { GpuSample, SystemSample } from '../core/diagnostics/system-sample';
import { summarizeWindow } from '../core/diagnostics/system-sample';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const seconds = Number(option('--seconds') ?? '5');
const outDir = option('--out');
const QUERY = `--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(',')}`;

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 10_000 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  });
}

interface Row {
  readonly check: string;
  readonly reference: string;
  readonly collector: string;
  readonly tolerance: string;
  readonly pass: boolean;
}

const rows: Row[] = [];
function compare(
  check: string,
  reference: number | string | null,
  collector: number | string | null,
  tolerance: number,
  toleranceText: string,
): void {
  const pass =
    typeof reference === 'number' && typeof collector === 'number'
      ? Math.abs(reference - collector) <= tolerance
      : reference === collector;
  rows.push({
    check,
    reference: String(reference),
    collector: typeof collector === 'number' ? String(Math.round(collector * 100) / 100) : String(collector),
    tolerance: toleranceText,
    pass,
  });
}

function nearest(samples: readonly SystemSample[], atMs: number): SystemSample | null {
  let best: SystemSample | null = null;
  for (const s of samples) if (!best || Math.abs(s.atMs - atMs) < Math.abs(best.atMs - atMs)) best = s;
  return best && Math.abs(best.atMs - atMs) <= 1500 ? best : null;
}

/** This process's nvidia-smi children (ps itself is a child too, hence the filter on the command line). */
function nvidiaSmiChildren(): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /^(\d+)\s+(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null && (m[2] ?? '').includes('nvidia-smi'))
      .map((m) => Number(m[1]));
  } catch {
    return [];
  }
}

async function main(): Promise<number> {
  const nvidiaSmi = await findOnPath('nvidia-smi');
  if (!nvidiaSmi) {
    console.log('GPU check skipped: nvidia-smi is not on PATH.');
    return 2;
  }
  if (outDir) mkdirSync(outDir, { recursive: true });
  const save = (name: string, text: string): void => {
    if (outDir) writeFileSync(join(outDir, name), text);
  };
  save('nvidia-smi-L.txt', await run(nvidiaSmi, ['-L']).catch((e: Error) => e.message));

  const intervalMs = 500;
  const sampler = await createSystemSampler({ intervalMs });
  console.log(`collector source: ${sampler.source}`);
  if (sampler.source !== 'nvidia-smi') {
    console.log('GPU check failed: the collector did not pick nvidia-smi although it is on PATH.');
    return 1;
  }
  const startedAt = Date.now();
  await sampler.start();

  // nvidia-smi's own view, with header and units, a few times during the run.
  const references: { atMs: number; gpus: GpuSample[] }[] = [];
  const csvs: string[] = [];
  while (Date.now() - startedAt < seconds * 1000) {
    await new Promise((r) => setTimeout(r, 1200));
    const atMs = Date.now();
    const csv = await run(nvidiaSmi, [QUERY, '--format=csv']);
    csvs.push(csv);
    references.push({ atMs, gpus: parseNvidiaSmiCsv(csv) });
  }
  const childrenWhileRunning = nvidiaSmiChildren().length;
  await sampler.stop();
  const stoppedAt = Date.now();
  await new Promise((r) => setTimeout(r, 200));
  const childrenAfterStop = nvidiaSmiChildren();

  save('h100-query-gpu-header-units.csv', csvs.join(''));
  // The exact stream the collector reads, for the fixtures.
  save(
    'h100-query-gpu-noheader-nounits-lms.csv',
    await new Promise<string>((resolve) => {
      execFile(
        nvidiaSmi,
        [QUERY, '--format=csv,noheader,nounits', '-lms', '250'],
        { timeout: 1400, killSignal: 'SIGTERM' },
        (_error, stdout) => resolve(String(stdout)),
      );
    }),
  );

  const samples = sampler.samplesBetween(startedAt, stoppedAt);
  save('collector-samples.json', JSON.stringify(samples, null, 2));
  const expected = Math.floor(((stoppedAt - startedAt) / intervalMs) * 0.5);
  rows.push({
    check: 'samples collected',
    reference: `>= ${expected}`,
    collector: String(samples.length),
    tolerance: 'half the periods',
    pass: samples.length >= expected,
  });
  compare('one long-lived nvidia-smi while running', 1, childrenWhileRunning, 0, 'exact');
  compare('children left after stop()', 0, childrenAfterStop.length, 0, 'exact');

  for (const [i, reference] of references.entries()) {
    const sample = nearest(samples, reference.atMs);
    compare(`poll ${i + 1}: matching collector sample`, 'found', sample ? 'found' : 'missing', 0, '±1.5 s');
    if (!sample) continue;
    compare(`poll ${i + 1}: GPU count`, reference.gpus.length, sample.gpus.length, 0, 'exact');
    for (const ref of reference.gpus) {
      const got = sample.gpus.find((g) => g.index === ref.index);
      const p = `poll ${i + 1} GPU ${ref.index}`;
      compare(`${p} name`, ref.name, got?.name ?? null, 0, 'exact');
      compare(`${p} memory.total MiB`, ref.memoryTotalMb, got?.memoryTotalMb ?? null, 0, 'exact');
      const memTol = Math.max(64, (ref.memoryTotalMb ?? 0) * 0.02);
      compare(
        `${p} memory.used MiB`,
        ref.memoryUsedMb,
        got?.memoryUsedMb ?? null,
        memTol,
        `±${Math.round(memTol)}`,
      );
      compare(`${p} temperature.gpu C`, ref.temperatureC, got?.temperatureC ?? null, 2, '±2');
      compare(`${p} utilization.gpu %`, ref.utilizationPct, got?.utilizationPct ?? null, 10, '±10');
      const powerTol = Math.max(10, (ref.powerW ?? 0) * 0.1);
      compare(`${p} power.draw W`, ref.powerW, got?.powerW ?? null, powerTol, `±${Math.round(powerTol)}`);
    }
  }

  const stats = summarizeWindow(samples, startedAt, stoppedAt);
  console.log(`window summary: ${JSON.stringify(stats)}`);
  const width = Math.max(...rows.map((r) => r.check.length));
  console.log(`${'check'.padEnd(width)} | nvidia-smi | collector | tolerance | result`);
  for (const r of rows) {
    console.log(
      `${r.check.padEnd(width)} | ${r.reference.padEnd(10)} | ${r.collector.padEnd(9)} | ${r.tolerance.padEnd(9)} | ${r.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  const failed = rows.filter((r) => !r.pass).length;
  console.log(`${rows.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
