/** Small readings of a run the screen shows in several places. */
import type { DiagnosticLevel, DiagnosticRun } from '../../bridge';

/** The level with the highest throughput (where the verdict judged latency and throughput). */
export function operatingLevel(run: Pick<DiagnosticRun, 'levels'>): DiagnosticLevel | null {
  let best: DiagnosticLevel | null = null;
  for (const level of run.levels) if (!best || level.throughput > best.throughput) best = level;
  return best;
}
