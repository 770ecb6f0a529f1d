/**
 * What a bundle says about itself, read without trusting it (`deckhand bundle inspect`): each
 * role's version, expiry and signing key ids, and the targets every targets-type file lists.
 * Nothing here is verified; `deckhand bundle verify` and import do that.
 */
import { Metadata, MetadataKind } from '@tufjs/models';
import { targetCustomSchema } from './target-info';
import { parseCanonical } from './tuf-json';

/** One metadata file as it describes itself. */
export interface RoleSummary {
  readonly file: string;
  readonly type: string;
  readonly version: number;
  readonly expires: string;
  readonly keyIds: readonly string[];
}

/** One listed target. */
export interface TargetSummary {
  readonly role: string;
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
  readonly kind: string;
  readonly name: string;
  readonly version: string;
  readonly hardware: readonly string[];
}

/** The bundle's self-description; `problems` lists files that could not be read. */
export interface MetadataSummary {
  readonly roles: readonly RoleSummary[];
  readonly targets: readonly TargetSummary[];
  readonly problems: readonly string[];
}

/** Reads every metadata file it can; never throws. */
export function summariseMetadata(files: ReadonlyMap<string, Uint8Array>): MetadataSummary {
  const roles: RoleSummary[] = [];
  const targets: TargetSummary[] = [];
  const problems: string[] = [];
  const order = [...files.keys()].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }),
  );
  for (const file of order) {
    try {
      const json = parseCanonical(files.get(file) as Uint8Array, file);
      const signed = json['signed'] as { _type?: unknown } | undefined;
      const type = typeof signed?._type === 'string' ? signed._type : 'unknown';
      const kind = Object.values(MetadataKind).find((k) => k === type);
      if (kind === undefined) throw new Error(`unknown metadata type ${String(type)}`);
      const metadata = Metadata.fromJSON(kind as MetadataKind.Targets, json);
      roles.push({
        file,
        type,
        version: metadata.signed.version,
        expires: metadata.signed.expires,
        keyIds: Object.keys(metadata.signatures),
      });
      if (kind === MetadataKind.Targets) {
        for (const [path, target] of Object.entries(metadata.signed.targets)) {
          const custom = targetCustomSchema.safeParse(target.custom);
          targets.push({
            role: file.replace(/\.json$/, ''),
            path,
            length: target.length,
            sha256: target.hashes['sha256'] ?? '',
            kind: custom.success ? custom.data.kind : '?',
            name: custom.success ? custom.data.name : '?',
            version: custom.success ? custom.data.version : '?',
            hardware: custom.success ? custom.data.hardware : [],
          });
        }
      }
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  return { roles, targets, problems };
}

function rank(file: string): number {
  if (file.endsWith('.root.json')) return 0;
  return ['timestamp.json', 'snapshot.json', 'targets.json'].indexOf(file) + 2 || 10;
}
