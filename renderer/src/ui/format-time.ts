/**
 * How every screen shows a time: `2026-11-27 08:00:00` in the laptop's time zone. Unambiguous for
 * crews from any locale, 24-hour (clear when read aloud over a radio), and narrow enough for tables.
 * Unparseable input is shown as stored.
 */
export function formatLocalTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
