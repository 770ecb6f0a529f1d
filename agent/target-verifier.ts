/**
 * The device's own check of a target: HQ's TUF metadata, sent by the laptop with each target, is
 * verified against the org root pinned on the device (`--trust ROOT.json`) with the same TUF workflow
 * the laptop's import uses (core/bundle/metadata-verifier.ts). The laptop is an untrusted courier:
 * nothing it says about a target is believed unless the metadata proves it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyMetadata } from '../core/bundle/metadata-verifier';
import {
  initialTrustState,
  parseSelfSignedRoot,
  trustStateSchema,
  type TrustState,
} from '../core/bundle/trust-state';
import type { JsonObject } from '../core/bundle/tuf-json';
import type { MetadataSet, VerifiedTarget } from '../core/protocol/messages';
import { DeckhandError } from '../core/result';
import { readJsonIfExists, writeFileAtomic } from '../core/node-io/atomic-file';

/** A target the metadata vouches for, and the trust state to keep once it is installed. */
export interface TargetVerdict {
  readonly target: VerifiedTarget;
  readonly nextState: TrustState;
}

/** Verifies targets against the device's trust state. */
export interface TargetVerifier {
  /** True when an org root is pinned on the device. */
  readonly pinned: boolean;
  /** Verifies `path` in the metadata; throws a coded DeckhandError on any refusal. */
  verify(metadata: MetadataSet, path: string, now: Date): TargetVerdict;
  /** Persists the trust state after an install used it (rollback protection for metadata). */
  accept(state: TrustState): void;
}

/** The trust store in a state folder: `trust.json`, seeded from `--trust ROOT.json` at first start. */
export function openTargetVerifier(stateDir: string, trustRootPath?: string): TargetVerifier {
  const path = join(stateDir, 'trust.json');
  let state = loadState(path);
  if (state === null && trustRootPath !== undefined) {
    const document = JSON.parse(readFileSync(trustRootPath, 'utf8')) as JsonObject;
    const root = parseSelfSignedRoot(document, 'the trust root given with --trust');
    state = initialTrustState(document, root.signed.version);
    writeFileAtomic(path, `${JSON.stringify(state)}\n`, 0o644);
  }
  return {
    get pinned() {
      return state !== null;
    },
    verify(metadata, targetPath, now) {
      if (state === null) {
        throw new DeckhandError(
          'not_pinned',
          "This device has no org root pinned, so it cannot verify any target. Provision it with 'deckhand agent --trust ROOT.json'.",
        );
      }
      const files = new Map<string, Uint8Array>();
      for (const [name, base64] of Object.entries(metadata.files))
        files.set(name, Buffer.from(base64, 'base64'));
      const verified = verifyMetadata({ state, files, now });
      const found = verified.targets.find((t) => t.path === targetPath);
      if (found === undefined) {
        throw new DeckhandError(
          'bad_target',
          `HQ's signed metadata does not list "${targetPath}"; the device refuses it.`,
        );
      }
      const { custom } = found;
      return {
        nextState: verified.nextState,
        target: {
          path: found.path,
          name: custom.name,
          length: found.length,
          sha256: found.sha256,
          kind: custom.kind,
          version: custom.version,
          releaseCounter: custom.releaseCounter ?? 0,
          hardware: custom.hardware,
          install: { method: custom.install?.method ?? 'copy' },
        },
      };
    },
    accept(next) {
      state = next;
      writeFileAtomic(path, `${JSON.stringify(next)}\n`, 0o644);
    },
  };
}

function loadState(path: string): TrustState | null {
  const raw = readJsonIfExists(path);
  if (raw === undefined) return null;
  const parsed = trustStateSchema.safeParse(raw);
  if (!parsed.success) throw new DeckhandError('internal', `The device's trust store ${path} is damaged.`);
  return parsed.data as TrustState;
}
