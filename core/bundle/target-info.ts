/**
 * Deckhand's custom metadata on TUF targets (ARCHITECTURE.md, Bundles): what a target is (release,
 * model or policy), for which hardware, how to install it, and the facts deploy planning, anti-rollback
 * and DORA need. Where a target lives follows from its kind, name and version, and which delegated
 * role may sign it follows from where it lives.
 */
import { z } from 'zod';

/** The kinds of target a bundle carries. */
export const TARGET_KINDS = ['release', 'model', 'policy'] as const;

/** A target's kind. */
export type TargetKind = (typeof TARGET_KINDS)[number];

/** The folder each kind lives under, which is also what its delegated role is allowed to sign. */
export const KIND_FOLDER: Readonly<Record<TargetKind, string>> = {
  release: 'releases',
  model: 'models',
  policy: 'policies',
};

/** The delegated role that signs each kind; policies are signed by the top-level targets role. */
export const KIND_ROLE: Readonly<Record<TargetKind, string>> = {
  release: 'releases',
  model: 'models',
  policy: 'targets',
};

const nameText = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits and . _ + - only');

/**
 * A number that may be fractional. TUF canonical JSON has no floats, so fractions travel as decimal
 * strings ("0.01") and are read back as numbers; see `canonicalSafe`.
 */
const decimal = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d{1,15}(\.\d{1,15})?$/)
    .transform(Number),
]);

/** Service-level objectives of a model, checked by diagnostics. */
export const sloSchema = z
  .object({
    p95Ms: decimal.pipe(z.number().positive()).optional(),
    minThroughput: decimal.pipe(z.number().positive()).optional(),
    maxErrorRate: decimal.pipe(z.number().min(0).max(1)).optional(),
    maxGpuMemMb: decimal.pipe(z.number().positive()).optional(),
  })
  .strict();

/** The `custom` object of a Deckhand target. */
export const targetCustomSchema = z
  .object({
    kind: z.enum(TARGET_KINDS),
    name: nameText,
    version: nameText,
    releaseCounter: z.number().int().min(0).optional(),
    hardware: z.array(z.string().min(1).max(128)).max(256),
    install: z
      .object({ method: z.string().min(1).max(64), params: z.record(z.string(), z.unknown()).optional() })
      .strict()
      .optional(),
    requires: z.array(z.string().min(1).max(256)).max(256).optional(),
    createdAt: z.iso.datetime({ offset: true }).optional(),
    sourceCommit: z.string().min(1).max(128).optional(),
    slo: sloSchema.optional(),
    sites: z.array(z.string().min(1).max(128)).max(10_000).optional(),
    devices: z.array(z.string().min(1).max(256)).max(10_000).optional(),
  })
  .strict();

/** A target's custom metadata. */
export type TargetCustom = z.infer<typeof targetCustomSchema>;

/** Custom metadata as it is signed: fractional numbers become decimal strings (canonical JSON has no floats). */
export function canonicalSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(canonicalSafe);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, canonicalSafe(item)]));
  return value;
}

/** The TUF target path of a file: `<kind folder>/<name>/<version>/<basename>`. */
export function targetPathFor(
  custom: Pick<TargetCustom, 'kind' | 'name' | 'version'>,
  basename: string,
): string {
  return `${KIND_FOLDER[custom.kind]}/${custom.name}/${custom.version}/${basename}`;
}

/** The delegation path pattern of a kind's role (TUF patterns match one segment per `*`). */
export function kindPathPattern(kind: TargetKind): string {
  return `${KIND_FOLDER[kind]}/*/*/*`;
}

/** A verified target as the rest of Deckhand sees it. */
export interface BundleTarget {
  /** The TUF target path. */
  readonly path: string;
  readonly length: number;
  readonly sha256: string;
  /** The role whose metadata listed it. */
  readonly role: string;
  readonly custom: TargetCustom;
}
