/** How bundle facts read on screen: expiry countdowns, sizes, speeds and times left. */
import { formatBytes, formatDay } from '../../../../core/bundle/human-format';

export { formatBytes, formatDay };

/** Days under which an expiry is shown as a warning. */
export const EXPIRY_WARNING_DAYS = 7;

/** An expiry as the technician needs it: how long is left, and how urgent that is. */
export interface ExpiryView {
  readonly tone: 'ok' | 'warning' | 'expired';
  /** "expires in 23 days", "expires in 5 h", "expired 2 days ago". */
  readonly countdown: string;
  /** "2 Nov 2026". */
  readonly date: string;
}

/** Describes an ISO expiry relative to `now`. */
export function describeExpiry(iso: string, now: Date): ExpiryView {
  const ms = Date.parse(iso) - now.getTime();
  const date = formatDay(iso);
  if (Number.isNaN(ms)) return { tone: 'warning', countdown: 'expiry unknown', date: iso };
  const abs = Math.abs(ms);
  const span =
    abs >= 86_400_000
      ? plural(Math.floor(abs / 86_400_000), 'day')
      : abs >= 3_600_000
        ? `${Math.floor(abs / 3_600_000)} h`
        : `${Math.max(1, Math.floor(abs / 60_000))} min`;
  if (ms <= 0) return { tone: 'expired', countdown: `expired ${span} ago`, date };
  return {
    tone: ms < EXPIRY_WARNING_DAYS * 86_400_000 ? 'warning' : 'ok',
    countdown: `expires in ${span}`,
    date,
  };
}

/** "12.5 MiB/s". */
export function formatSpeed(bytesPerSec: number): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** "3 s", "2 min 5 s", or an em dash when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The first characters of a key id. */
export function shortKey(keyId: string): string {
  return keyId.length > 12 ? `${keyId.slice(0, 12)}…` : keyId;
}

/** The words for an import phase. */
export function describeStep(step: string): string {
  switch (step) {
    case 'starting':
    case 'reading':
      return 'Reading the bundle';
    case 'verifying':
      return 'Checking signatures';
    case 'copying':
      return 'Copying and checking files';
    case 'committing':
      return 'Saving';
    case 'done':
      return 'Done';
    case 'refused':
      return 'Refused';
    case 'cancelled':
      return 'Cancelled';
    default:
      return step;
  }
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
