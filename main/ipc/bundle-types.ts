/**
 * The shapes the Bundles verbs return: imports (successful or refused), their targets and signing
 * roles, the laptop's trust root, and bundles offered on removable drives. Plain data, free of Node
 * and Electron; contract.ts re-exports them for the renderer.
 */

/** A target of an imported bundle. */
export interface BundleTargetRow {
  readonly path: string;
  readonly kind: 'release' | 'model' | 'policy';
  readonly name: string;
  readonly version: string;
  readonly hardware: readonly string[];
  readonly length: number;
  readonly sha256: string;
  /** The role that signed it. */
  readonly role: string;
  /** The target's full custom metadata (install, requires, slo, sites…). */
  readonly custom: Readonly<Record<string, unknown>>;
}

/** One metadata role of a bundle: version, expiry and the key ids whose signatures verified. */
export interface BundleRoleRow {
  readonly role: string;
  readonly version: number;
  readonly expires: string;
  readonly signers: readonly string[];
}

/** One import attempt. */
export interface BundleImportRow {
  readonly id: number;
  readonly status: 'imported' | 'refused';
  readonly fileName: string;
  readonly filePath: string;
  readonly attemptedAt: string;
  /** SHA-256 of the bundle's timestamp metadata; null when refused before it was read. */
  readonly bundleId: string | null;
  readonly rootVersion: number | null;
  readonly timestampVersion: number | null;
  /** The earliest expiry among the bundle's metadata. */
  readonly expires: string | null;
  readonly roles: readonly BundleRoleRow[];
  readonly targets: readonly BundleTargetRow[];
  /** Why it was refused, in the technician's words. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** The trust root this laptop verifies bundles against. */
export interface TrustRow {
  readonly source: 'pinned' | 'org';
  readonly rootVersion: number;
  readonly rootKeyIds: readonly string[];
  readonly rootExpires: string;
  readonly highestTime: string;
}

/** A `.dhb` file found on a removable drive. */
export interface BundleOffer {
  readonly path: string;
  readonly fileName: string;
  /** The drive's mount point or letter. */
  readonly volume: string;
  readonly size: number;
}
