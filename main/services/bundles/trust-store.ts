/**
 * The laptop's trust, in the data folder's `trust/`: `pinned-root.json` (the org root the technician
 * pinned) and `state.json` (the current root after rotations, accepted metadata versions and the
 * highest time seen). Both are written atomically (temp file, fsync, rename, fsync folder), so a
 * kill -9 mid-write leaves the previous state. Without a pinned root, an org build's
 * `resources/trust/root.json` is used.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  initialTrustState,
  parseSelfSignedRoot,
  trustStateSchema,
  type TrustState,
} from '../../../core/bundle/trust-state';
import { parseCanonical, type JsonObject } from '../../../core/bundle/tuf-json';
import { DeckhandError } from '../../../core/result';
import { removeStaleTempFiles, writeFileAtomic } from '../../../core/node-io/atomic-file';

/** Where the trusted root came from. */
export type RootSource = 'pinned' | 'org';

/** The pinned root as the UI and CLI describe it. */
export interface TrustSummary {
  readonly source: RootSource;
  /** Version of the root currently trusted (after rotations seen in bundles). */
  readonly rootVersion: number;
  readonly rootKeyIds: readonly string[];
  readonly rootExpires: string;
  readonly highestTime: string;
}

interface StateFile {
  readonly pinnedSha256: string;
  readonly state: TrustState;
}

/** Reads and writes the trust folder of one data folder. */
export class TrustStore {
  readonly #dir: string;
  readonly #orgRootFile: string | undefined;

  constructor(dir: string, orgRootFile?: string) {
    this.#dir = dir;
    this.#orgRootFile = orgRootFile;
    mkdirSync(dir, { recursive: true });
    removeStaleTempFiles(dir);
  }

  /** Pins an org root (its bytes as published by HQ); replaces any earlier pin and resets accepted versions. */
  pin(bytes: Uint8Array, now: Date): TrustSummary {
    const document = parseRootFile(bytes, 'The root file');
    const root = parseSelfSignedRoot(document, 'the root file');
    const previous = this.#readState();
    const highest = previous ? new Date(previous.state.highestTime) : new Date(0);
    writeFileAtomic(join(this.#dir, 'pinned-root.json'), bytes);
    const state = initialTrustState(document, root.signed.version, highest > now ? highest : now);
    this.#writeState({ pinnedSha256: sha256(bytes), state });
    return summarise('pinned', state);
  }

  /** The trust state to verify against; throws `not_pinned` when no root is pinned or shipped. */
  load(): { readonly source: RootSource; readonly state: TrustState } {
    const pinned = this.#pinnedRoot();
    if (pinned === null) {
      throw new DeckhandError(
        'not_pinned',
        'No trust root is pinned on this laptop, so Deckhand cannot tell a bundle from HQ from a forgery. Pin your organisation’s root first: deckhand trust pin ROOT.json (HQ provides root.json).',
      );
    }
    const file = this.#readState();
    if (file !== null && file.pinnedSha256 === pinned.sha256)
      return { source: pinned.source, state: file.state };
    const root = parseSelfSignedRoot(pinned.document, 'the pinned root');
    const highest = file ? new Date(file.state.highestTime) : new Date(0);
    return { source: pinned.source, state: initialTrustState(pinned.document, root.signed.version, highest) };
  }

  /** Persists the state after a successful import. */
  save(state: TrustState): void {
    const pinned = this.#pinnedRoot();
    if (pinned === null) throw new DeckhandError('not_pinned', 'No trust root is pinned on this laptop.');
    this.#writeState({ pinnedSha256: pinned.sha256, state });
  }

  /** Records a clock reading, so a clock set back later cannot revive an expired bundle. */
  noteTime(now: Date): void {
    const pinned = this.#pinnedRoot();
    if (pinned === null) return;
    const { state } = this.load();
    if (new Date(state.highestTime) >= now) return;
    this.#writeState({ pinnedSha256: pinned.sha256, state: { ...state, highestTime: now.toISOString() } });
  }

  /** The trust as shown to the technician, or null when nothing is pinned. */
  summary(): TrustSummary | null {
    try {
      const { source, state } = this.load();
      return summarise(source, state);
    } catch (error) {
      if (error instanceof DeckhandError && error.code === 'not_pinned') return null;
      throw error;
    }
  }

  #pinnedRoot(): { source: RootSource; document: JsonObject; sha256: string } | null {
    const candidates: [RootSource, string | undefined][] = [
      ['pinned', join(this.#dir, 'pinned-root.json')],
      ['org', this.#orgRootFile],
    ];
    for (const [source, file] of candidates) {
      if (file === undefined || !existsSync(file)) continue;
      const bytes = readFileSync(file);
      return {
        source,
        document: parseRootFile(
          bytes,
          source === 'pinned' ? 'The pinned root' : 'The org root shipped with Deckhand',
        ),
        sha256: sha256(bytes),
      };
    }
    return null;
  }

  #readState(): StateFile | null {
    const file = join(this.#dir, 'state.json');
    if (!existsSync(file)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      parsed = null;
    }
    const state = trustStateSchema.safeParse((parsed as { state?: unknown } | null)?.state);
    const pinnedSha256 = (parsed as { pinnedSha256?: unknown } | null)?.pinnedSha256;
    if (!state.success || typeof pinnedSha256 !== 'string') {
      // Atomic writes cannot leave a half-written file, so this is outside damage: refuse rather
      // than silently forget which versions were accepted (that would reopen rollback attacks).
      throw new DeckhandError(
        'invalid_metadata',
        `Deckhand's trust record (${file}) is damaged, so it cannot rule out an older bundle. Pin the org root again (deckhand trust pin ROOT.json) to start a fresh record.`,
      );
    }
    return { pinnedSha256, state: state.data as TrustState };
  }

  #writeState(file: StateFile): void {
    writeFileAtomic(join(this.#dir, 'state.json'), `${JSON.stringify(file)}\n`);
  }
}

function summarise(source: RootSource, state: TrustState): TrustSummary {
  const signed = state.root['signed'] as { roles?: { root?: { keyids?: string[] } }; expires?: string };
  return {
    source,
    rootVersion: state.rootVersion,
    rootKeyIds: signed.roles?.root?.keyids ?? [],
    rootExpires: signed.expires ?? '',
    highestTime: state.highestTime,
  };
}

function parseRootFile(bytes: Uint8Array, what: string): JsonObject {
  try {
    return parseCanonical(bytes, 'root.json');
  } catch {
    // Pinned roots may be pretty-printed by hand; only their signed part must verify.
    try {
      const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
    } catch {
      // fall through
    }
    throw new DeckhandError(
      'invalid_metadata',
      `${what} is not a TUF root.json. Use the root.json HQ published.`,
    );
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
