/**
 * `deckhand devices --scan [--timeout 3s] [--interface ADDR]`: asks every discovery source (mDNS,
 * serial ports, USB) what it sees within the timeout and lists the candidates with their URIs.
 */
import { DeckhandError } from '../../../core/result';
import { createDiscoverySources } from '../../adapters/discovery';
import type { DiscoveryEvent, DiscoverySource } from '../../services/devices/discovery-source';

/** A candidate found by a scan. */
export type Candidate = Extract<DiscoveryEvent, { type: 'found' }> & { readonly source: string };

/** Parses `3s`, `500ms`, `1m` into milliseconds (0.1 s to 10 min). */
export function parseScanTimeout(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000 }[(match?.[2] ?? 's') as 'ms' | 's' | 'm'];
  const ms = match ? Math.round(Number(match[1]) * unit) : NaN;
  if (!(ms >= 100 && ms <= 600_000))
    throw new DeckhandError(
      'usage',
      `--timeout wants a duration from 100ms to 10m, like 3s (not "${text}").`,
    );
  return ms;
}

/** Runs every source's scan in parallel; a failing source is reported in `failed`, not thrown. */
export async function scanDevices(
  timeoutMs: number,
  sources: readonly DiscoverySource[],
): Promise<{ candidates: Candidate[]; failed: { source: string; message: string }[] }> {
  const results = await Promise.allSettled(sources.map((s) => s.scan(timeoutMs)));
  const candidates: Candidate[] = [];
  const failed: { source: string; message: string }[] = [];
  results.forEach((result, i) => {
    const source = sources[i]!.name;
    if (result.status === 'fulfilled')
      for (const found of result.value) candidates.push({ ...found, source });
    else failed.push({ source, message: (result.reason as Error)?.message ?? String(result.reason) });
  });
  return { candidates, failed };
}

/** The default sources for the CLI. */
export function cliDiscoverySources(interfaceAddress: string | undefined): DiscoverySource[] {
  return createDiscoverySources(interfaceAddress === undefined ? {} : { interfaceAddress });
}

/** Human-readable candidate list. */
export function describeCandidates(candidates: readonly Candidate[]): string {
  if (candidates.length === 0) return 'No devices found (mDNS, serial ports, USB).\n';
  return candidates.map((c) => `${c.uri}\n  ${c.transport}: ${c.label}\n`).join('');
}
