/**
 * Verified import of a bundle into the blob store. Order matters: index the archive (every entry
 * checked, no target read), verify all metadata against the trust state, check every signed target
 * is present at its signed size, and only then read each target once, hashing while copying into a
 * staging folder. Blobs move into the store only when every target verified; the trust state is
 * saved after that. A refusal or cancel removes the staging folder, so nothing of the bundle stays.
 */
import { createHash } from 'node:crypto';
import { consistentTargetName } from '../../../core/bundle/bundle-layout';
import { verifyMetadata, type VerifiedMetadata } from '../../../core/bundle/metadata-verifier';
import type { BundleTarget } from '../../../core/bundle/target-info';
import type { TrustState } from '../../../core/bundle/trust-state';
import { DeckhandError } from '../../../core/result';
import type { BlobStore, StagedBlob } from '../blob-store';
import { openBundleSource, type BundleSource, type TargetLocation } from './bundle-source';
import { readRange, type ByteRange } from './range-reader';

/** The phases an import goes through, for progress and for tests that act between phases. */
export type ImportPhase = 'reading' | 'verifying' | 'copying' | 'committing';

/** Options of importBundleFile. */
export interface ImportBundleOptions {
  readonly path: string;
  readonly state: TrustState;
  readonly now: Date;
  /** null: verify only (hash every target without storing it). */
  readonly blobs: BlobStore | null;
  readonly signal?: AbortSignal;
  /** Called when a phase starts, with the bytes the copy phase will read. */
  readonly onPhase?: (phase: ImportPhase, totalBytes: number) => void | Promise<void>;
  readonly onBytes?: (bytes: number) => void;
}

/** The outcome of a successful import. */
export interface ImportedBundle {
  readonly metadata: VerifiedMetadata;
  /** Targets copied into the store now. */
  readonly copied: number;
  /** Targets already in the store, not copied again. */
  readonly reused: number;
  /** Bytes read from the bundle for targets. */
  readonly bytesRead: number;
  /** The bundle's metadata files (name → exact bytes), kept so devices can verify targets themselves. */
  readonly metadataFiles: ReadonlyMap<string, Uint8Array>;
}

/** Verifies a bundle and (with a blob store) copies its targets in; throws coded DeckhandErrors. */
export async function importBundleFile(options: ImportBundleOptions): Promise<ImportedBundle> {
  const { signal } = options;
  await options.onPhase?.('reading', 0);
  const source = await openBundleSource(options.path);
  checkCancelled(signal);
  await options.onPhase?.('verifying', 0);
  const metadata = verifyMetadata({ state: options.state, files: source.metadata, now: options.now });
  const plan = planCopies(source, metadata.targets, options.blobs);
  const totalBytes = plan.reduce((sum, item) => sum + item.target.length, 0);
  checkCancelled(signal);
  await options.onPhase?.('copying', totalBytes);

  const staging = options.blobs?.createStaging() ?? null;
  try {
    const staged: StagedBlob[] = [];
    let bytesRead = 0;
    for (const { target, location } of plan) {
      checkCancelled(signal);
      const expected = {
        sha256: target.sha256,
        length: target.length,
        label: `${target.custom.name} ${target.custom.version} (${target.path})`,
      };
      const range = { file: location.file, offset: location.offset };
      if (options.blobs !== null && staging !== null) {
        staged.push(
          await options.blobs
            .stage(staging, range, expected, options.onBytes, signal)
            .catch(rethrowAbort(signal)),
        );
      } else {
        await hashOnly({ ...range, length: target.length }, expected, options.onBytes, signal).catch(
          rethrowAbort(signal),
        );
      }
      bytesRead += target.length;
    }
    checkCancelled(signal);
    await options.onPhase?.('committing', totalBytes);
    if (options.blobs !== null) await options.blobs.commit(staged);
    return {
      metadata,
      copied: plan.length,
      reused: metadata.targets.length - plan.length,
      bytesRead,
      metadataFiles: source.metadata,
    };
  } finally {
    await staging?.discard();
  }
}

interface PlannedCopy {
  readonly target: BundleTarget;
  readonly location: TargetLocation;
}

/** Every signed target must be in the bundle at its signed size; those already stored are skipped. */
function planCopies(
  source: BundleSource,
  targets: readonly BundleTarget[],
  blobs: BlobStore | null,
): PlannedCopy[] {
  const plan: PlannedCopy[] = [];
  const planned = new Set<string>();
  for (const target of targets) {
    const location = source.targets.get(consistentTargetName(target.path, target.sha256));
    if (location === undefined) {
      throw new DeckhandError(
        'truncated',
        `This bundle is incomplete: ${target.custom.name} ${target.custom.version} (${target.path}) is missing from it. Copy the whole bundle again from HQ's file.`,
        { target: target.path },
      );
    }
    if (location.size !== target.length) {
      throw new DeckhandError(
        'length_mismatch',
        `This bundle was refused: ${target.custom.name} ${target.custom.version} is ${location.size} bytes in the file but HQ signed ${target.length} bytes. The file was altered or damaged; ask HQ for a fresh bundle.`,
        { target: target.path, expected: target.length, actual: location.size },
      );
    }
    if (planned.has(target.sha256) || (blobs !== null && blobs.has(target.sha256, target.length))) continue;
    planned.add(target.sha256);
    plan.push({ target, location });
  }
  return plan;
}

async function hashOnly(
  range: ByteRange,
  expected: { sha256: string; length: number; label: string },
  onBytes: ((bytes: number) => void) | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  const hash = createHash('sha256');
  const length = await readRange(
    range,
    (chunk) => {
      hash.update(chunk);
      onBytes?.(chunk.length);
    },
    () => checkCancelled(signal),
  );
  if (length !== expected.length) {
    throw new DeckhandError(
      'length_mismatch',
      `This bundle was refused: ${expected.label} is not the size HQ signed. Ask HQ for a fresh bundle.`,
      { target: expected.label },
    );
  }
  if (hash.digest('hex') !== expected.sha256) {
    throw new DeckhandError(
      'hash_mismatch',
      `This bundle was refused: ${expected.label} is not the file HQ signed (its SHA-256 differs). Ask HQ for a fresh bundle.`,
      { target: expected.label },
    );
  }
}

function checkCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new DeckhandError('cancelled', 'The import was cancelled. Nothing from the bundle was kept.');
}

/** A read stream aborted by the signal rejects with an AbortError; report it as a cancel. */
function rethrowAbort(signal: AbortSignal | undefined): (error: unknown) => never {
  return (error) => {
    if (signal?.aborted) checkCancelled(signal);
    if (error instanceof DeckhandError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new DeckhandError(
        'truncated',
        'The bundle file disappeared during the import. Is the USB stick still plugged in?',
      );
    throw error;
  };
}
