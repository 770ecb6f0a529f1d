/**
 * What a laptop trusts, as plain data persisted in the data folder's `trust/` (written atomically by
 * main/services/bundles/trust-store.ts): the current root (after rotations), the newest timestamp and
 * snapshot versions accepted, and the highest time ever seen. Rollback and freeze protection rest on
 * this surviving restarts and clock changes.
 */
import { Metadata, MetadataKind, type Root } from '@tufjs/models';
import { z } from 'zod';
import { DeckhandError } from '../result';
import { checkKeyTypes, verifyThreshold } from './signatures';
import type { JsonObject } from './tuf-json';

/** Persisted trust state. */
export interface TrustState {
  readonly format: 1;
  /** The trusted root metadata document (signatures and signed part). */
  readonly root: JsonObject;
  readonly rootVersion: number;
  /** The last accepted timestamp: its version and the SHA-256 of its bytes. */
  readonly timestamp: { readonly version: number; readonly sha256: string } | null;
  /** The last accepted snapshot: its version and the versions it listed per metadata file. */
  readonly snapshot: { readonly version: number; readonly meta: Readonly<Record<string, number>> } | null;
  /** The latest clock reading seen at an import; expiry is judged against max(now, this). */
  readonly highestTime: string;
}

/** The schema of the persisted state; anything else on disk is treated as damaged. */
export const trustStateSchema = z
  .object({
    format: z.literal(1),
    root: z.record(z.string(), z.unknown()),
    rootVersion: z.number().int().min(1),
    timestamp: z
      .object({ version: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) })
      .nullable(),
    snapshot: z
      .object({ version: z.number().int().min(0), meta: z.record(z.string(), z.number().int().min(0)) })
      .nullable(),
    highestTime: z.iso.datetime(),
  })
  .strict();

/**
 * Parses a root document and checks that it is signed by its own root threshold with Ed25519 keys:
 * what `deckhand trust pin` accepts. Returns the parsed metadata.
 */
export function parseSelfSignedRoot(document: JsonObject, what = 'the root file'): Metadata<Root> {
  let root: Metadata<Root>;
  try {
    root = Metadata.fromJSON(MetadataKind.Root, document);
  } catch (error) {
    throw new DeckhandError(
      'invalid_metadata',
      `${capitalise(what)} is not a valid TUF root (${(error as Error).message}). Use the root.json HQ published.`,
    );
  }
  checkKeyTypes(root.signed.keys, what);
  const rootRole = root.signed.roles['root'];
  if (rootRole === undefined)
    throw new DeckhandError('invalid_metadata', `${capitalise(what)} has no root role.`);
  verifyThreshold(root.signed.keys, rootRole, root, 'root');
  return root;
}

/** The state of a laptop that has just pinned `root` and imported nothing. */
export function initialTrustState(root: JsonObject, version: number, highestTime = new Date(0)): TrustState {
  return {
    format: 1,
    root,
    rootVersion: version,
    timestamp: null,
    snapshot: null,
    highestTime: highestTime.toISOString(),
  };
}

/** The reference time for expiry: the later of the clock and the highest time seen. */
export function referenceTime(now: Date, state: Pick<TrustState, 'highestTime'>): Date {
  const highest = new Date(state.highestTime);
  return Number.isNaN(highest.getTime()) || highest <= now ? now : highest;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
