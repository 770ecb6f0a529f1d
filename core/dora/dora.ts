/**
 * DORA's four keys over deploy outcomes, as pure math (HQ feeds it events it received). A deploy is
 * one device's `deploy.committed` (success) or `deploy.rolled_back` / `deploy.failed` after install
 * (failure; a deploy that failed before it changed the device is not a deployment).
 * Lead time runs from the target's `createdAt` (bundle metadata) to the commit; time to restore from
 * a device's failure to its next commit.
 */

/** One deploy outcome on one device. */
export interface DeployOutcome {
  readonly device: string;
  readonly site: string | null;
  /** ISO time of the outcome event. */
  readonly time: string;
  readonly outcome: 'committed' | 'failed';
  /** ISO time the deployed target was built, when the event says. */
  readonly createdAt?: string | undefined;
}

/** The four keys for a set of deploys. */
export interface DoraMetrics {
  readonly deployments: number;
  readonly failures: number;
  /** Successful deploys per day over the span from first to last deploy (at least one day). */
  readonly deploymentsPerDay: number;
  /** failures ÷ deployments, or null when there were none. */
  readonly changeFailureRate: number | null;
  /** Median seconds from target build to commit, or null when no commit says when it was built. */
  readonly leadTimeMedianSec: number | null;
  /** Median seconds from a device's failure to its next commit, or null when none recovered. */
  readonly timeToRestoreMedianSec: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Computes DORA metrics; outcomes may come in any order. Frequency is per day over `spanDays` when
 * given (a reporting window), else over the span from the first to the last deploy.
 */
export function computeDora(outcomes: readonly DeployOutcome[], spanDays?: number): DoraMetrics {
  const sorted = [...outcomes].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const commits = sorted.filter((o) => o.outcome === 'committed');
  const failures = sorted.length - commits.length;
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  const days =
    spanDays ?? (first && last ? Math.max(1, (Date.parse(last.time) - Date.parse(first.time)) / DAY_MS) : 1);
  const leadTimes = commits
    .filter((o) => o.createdAt !== undefined)
    .map((o) => (Date.parse(o.time) - Date.parse(o.createdAt as string)) / 1000)
    .filter((sec) => Number.isFinite(sec) && sec >= 0);
  const restores: number[] = [];
  const failedSince = new Map<string, number>();
  for (const o of sorted) {
    if (o.outcome === 'failed') {
      if (!failedSince.has(o.device)) failedSince.set(o.device, Date.parse(o.time));
    } else {
      const since = failedSince.get(o.device);
      if (since !== undefined) restores.push((Date.parse(o.time) - since) / 1000);
      failedSince.delete(o.device);
    }
  }
  return {
    deployments: sorted.length,
    failures,
    deploymentsPerDay: commits.length / days,
    changeFailureRate: sorted.length === 0 ? null : failures / sorted.length,
    leadTimeMedianSec: median(leadTimes),
    timeToRestoreMedianSec: median(restores),
  };
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The windows Deckhand reports DORA metrics over, in days. */
export const DORA_WINDOWS_DAYS = [7, 30, 90] as const;

/** Metrics over the outcomes of the last `days` days before `now`, for each window. */
export function doraWindows(
  outcomes: readonly DeployOutcome[],
  now: Date,
  windows: readonly number[] = DORA_WINDOWS_DAYS,
): { windowDays: number; metrics: DoraMetrics }[] {
  return windows.map((days) => {
    const from = now.getTime() - days * DAY_MS;
    const inside = outcomes.filter((o) => {
      const at = Date.parse(o.time);
      return at > from && at <= now.getTime();
    });
    return { windowDays: days, metrics: computeDora(inside, days) };
  });
}

/** Groups outcomes by device or site (null sites as "unknown") and computes each group's windows. */
export function doraBy(
  outcomes: readonly DeployOutcome[],
  key: 'device' | 'site',
  now: Date,
  windows: readonly number[] = DORA_WINDOWS_DAYS,
): Record<string, { windowDays: number; metrics: DoraMetrics }[]> {
  const groups = new Map<string, DeployOutcome[]>();
  for (const outcome of outcomes) {
    const name = (key === 'device' ? outcome.device : outcome.site) ?? 'unknown';
    groups.set(name, [...(groups.get(name) ?? []), outcome]);
  }
  return Object.fromEntries([...groups].map(([name, list]) => [name, doraWindows(list, now, windows)]));
}
