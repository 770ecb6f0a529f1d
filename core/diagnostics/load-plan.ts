/**
 * What a diagnostic run does: the load levels (a concurrency sweep, or fixed request rates), the
 * warm-up, the measurement window and perf_analyzer's stability rule (the last 3 windows within
 * 10 % for throughput and latency, at most `maxWindows` windows a level), and the two profiles the
 * UI offers. Durations are milliseconds.
 */
import { z } from 'zod';
import { DeckhandError } from '../result';

/** How load is applied at each level. */
export const LOAD_MODES = ['concurrency', 'rate'] as const;
/** Concurrency: N requests always outstanding (closed loop); rate: N requests a second (open loop). */
export type LoadMode = (typeof LOAD_MODES)[number];

/** A plan, as it travels (device protocol, IPC) and is stored. */
export const loadPlanSchema = z.object({
  mode: z.enum(LOAD_MODES),
  /** Concurrency values or request rates (per second), measured in this order. */
  levels: z.array(z.number().int().min(1).max(10_000)).min(1).max(16),
  warmupMs: z.number().int().min(0).max(600_000),
  windowMs: z.number().int().min(50).max(600_000),
  /** Bounded trials: a level stops after this many windows, stable or not. */
  maxWindows: z.number().int().min(3).max(100),
  /** Windows compared by the stability rule (perf_analyzer: 3). */
  stableWindows: z.number().int().min(2).max(10).default(3),
  /** Allowed spread around the mean of those windows (perf_analyzer: 0.1). */
  stabilityThreshold: z.number().min(0.001).max(1).default(0.1),
  /** One request's time limit. */
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  /** Send tensors with Triton's binary extension instead of JSON. */
  binary: z.boolean().default(false),
});
/** A plan with defaults applied. */
export type LoadPlan = z.infer<typeof loadPlanSchema>;
/** A plan as a caller writes it. */
export type LoadPlanInput = z.input<typeof loadPlanSchema>;

/** The UI's profiles. */
export const PROFILES = ['quick', 'full'] as const;
/** quick: concurrency 1 for about 30 s at most; full: a 1, 2, 4, 8 sweep. */
export type Profile = (typeof PROFILES)[number];

/** The plan of a profile. */
export function profilePlan(profile: Profile): LoadPlan {
  switch (profile) {
    case 'quick':
      return planFor({ mode: 'concurrency', levels: [1], durationMs: 30_000 });
    case 'full':
      return planFor({ mode: 'concurrency', levels: [1, 2, 4, 8], durationMs: 30_000 });
    default: {
      const never: never = profile;
      throw new Error(`unknown profile ${String(never)}`);
    }
  }
}

/**
 * A plan from the CLI's terms: `durationMs` is the most one level may take (warm-up included);
 * windows are a tenth of it (at least 100 ms, at most 5 s, perf_analyzer's default interval), so
 * a level that is stable after 3 windows ends well before it.
 */
export function planFor(options: {
  mode: LoadMode;
  levels: readonly number[];
  durationMs: number;
  binary?: boolean;
}): LoadPlan {
  const warmupMs = Math.min(2_000, Math.round(options.durationMs / 10));
  const windowMs = Math.max(100, Math.min(5_000, Math.round((options.durationMs - warmupMs) / 10)));
  const maxWindows = Math.max(3, Math.floor((options.durationMs - warmupMs) / windowMs));
  return loadPlanSchema.parse({
    mode: options.mode,
    levels: [...options.levels],
    warmupMs,
    windowMs,
    maxWindows: Math.min(100, maxWindows),
    binary: options.binary ?? false,
  });
}

/** Parses `30s`, `2m`, `500ms` or a bare number of seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!match) throw new DeckhandError('usage', `"${text}" is not a duration; write e.g. 30s, 2m or 500ms.`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const ms = unit === 'ms' ? value : unit === 'm' ? value * 60_000 : value * 1000;
  if (ms < 500 || ms > 3_600_000)
    throw new DeckhandError('usage', `The duration must be between 500ms and 60m, not ${text}.`);
  return Math.round(ms);
}

/** Parses `1,2,4,8` into whole numbers from 1 to 10000. */
export function parseLevels(text: string, what: string): number[] {
  const levels = text.split(',').map((part) => Number(part.trim()));
  if (
    levels.length === 0 ||
    levels.length > 16 ||
    levels.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000)
  )
    throw new DeckhandError(
      'usage',
      `${what} wants up to 16 whole numbers from 1 to 10000, like 1,2,4,8; not "${text}".`,
    );
  return levels;
}
