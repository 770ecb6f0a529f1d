/** Import attempts and imported targets in SQLite (tables of migration 0002). */
import type { VerifiedMetadata } from '../../core/bundle/metadata-verifier';
import type { BundleImportRow, BundleTargetRow } from '../ipc/bundle-types';
import { withDbErrors, type Db } from './database';

interface ImportRecord {
  id: number;
  status: 'imported' | 'refused';
  file_name: string;
  file_path: string;
  attempted_at: string;
  bundle_id: string | null;
  root_version: number | null;
  timestamp_version: number | null;
  expires: string | null;
  roles: string | null;
  error_code: string | null;
  error_message: string | null;
}

interface TargetRecord {
  import_id: number;
  path: string;
  kind: BundleTargetRow['kind'];
  name: string;
  version: string;
  hardware: string;
  length: number;
  sha256: string;
  role: string;
  custom: string;
}

/** What an attempt was about. */
export interface AttemptFacts {
  readonly fileName: string;
  readonly filePath: string;
  readonly at: Date;
}

/** Reads and writes bundle imports. */
export class BundleStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Records a successful import and its targets in one transaction; returns the row. */
  recordImported(
    facts: AttemptFacts,
    metadata: VerifiedMetadata,
    metadataFiles: ReadonlyMap<string, Uint8Array> = new Map(),
  ): BundleImportRow {
    const id = withDbErrors(this.#db.name, () =>
      this.#db
        .transaction(() => {
          const timestamp = metadata.roles.find((role) => role.role === 'timestamp');
          const { lastInsertRowid } = this.#db
            .prepare(
              `INSERT INTO bundle_imports (status, file_name, file_path, attempted_at, bundle_id, root_version, timestamp_version, expires, roles)
               VALUES ('imported', ?, ?, ?, ?, ?, ?, ?, ?)`,
            )
            .run(
              facts.fileName,
              facts.filePath,
              facts.at.toISOString(),
              metadata.bundleId,
              metadata.rootVersion,
              timestamp?.version ?? null,
              metadata.expires,
              JSON.stringify(metadata.roles),
            );
          const insert = this.#db.prepare(
            `INSERT INTO bundle_targets (import_id, path, kind, name, version, hardware, length, sha256, role, custom)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          for (const target of metadata.targets) {
            insert.run(
              lastInsertRowid,
              target.path,
              target.custom.kind,
              target.custom.name,
              target.custom.version,
              JSON.stringify(target.custom.hardware),
              target.length,
              target.sha256,
              target.role,
              JSON.stringify(target.custom),
            );
          }
          const keep = this.#db.prepare(
            'INSERT INTO bundle_metadata (import_id, name, bytes) VALUES (?, ?, ?)',
          );
          for (const [name, bytes] of metadataFiles) keep.run(lastInsertRowid, name, Buffer.from(bytes));
          return Number(lastInsertRowid);
        })
        .immediate(),
    );
    return this.get(id) as BundleImportRow;
  }

  /** The metadata files of an import (name → bytes), as the bundle carried them. */
  metadataFiles(importId: number): Map<string, Uint8Array> {
    const rows = withDbErrors(this.#db.name, () =>
      this.#db
        .prepare('SELECT name, bytes FROM bundle_metadata WHERE import_id = ? ORDER BY name')
        .all(importId),
    ) as { name: string; bytes: Buffer }[];
    return new Map(rows.map((row) => [row.name, new Uint8Array(row.bytes)]));
  }

  /**
   * The newest successful import that holds a target named `name` at `version` (any version when
   * null), with that target.
   */
  findTarget(
    name: string,
    version: string | null,
  ): { readonly importRow: BundleImportRow; readonly target: BundleTargetRow } | undefined {
    const row = withDbErrors(this.#db.name, () =>
      this.#db
        .prepare(
          `SELECT t.import_id AS importId, t.path AS path FROM bundle_targets t
             JOIN bundle_imports i ON i.id = t.import_id
            WHERE i.status = 'imported' AND t.name = ? AND (? IS NULL OR t.version = ?)
            ORDER BY i.id DESC LIMIT 1`,
        )
        .get(name, version, version),
    ) as { importId: number; path: string } | undefined;
    if (row === undefined) return undefined;
    const importRow = this.get(row.importId);
    const target = importRow?.targets.find((t) => t.path === row.path);
    return importRow && target ? { importRow, target } : undefined;
  }

  /** Records a refused import with its code and message. */
  recordRefused(facts: AttemptFacts, error: { code: string; message: string }): BundleImportRow {
    const { lastInsertRowid } = withDbErrors(this.#db.name, () =>
      this.#db
        .prepare(
          `INSERT INTO bundle_imports (status, file_name, file_path, attempted_at, error_code, error_message)
           VALUES ('refused', ?, ?, ?, ?, ?)`,
        )
        .run(facts.fileName, facts.filePath, facts.at.toISOString(), error.code, error.message),
    );
    return this.get(Number(lastInsertRowid)) as BundleImportRow;
  }

  /** One attempt with its targets. */
  get(id: number): BundleImportRow | undefined {
    const record = this.#db
      .prepare<[number], ImportRecord>('SELECT * FROM bundle_imports WHERE id = ?')
      .get(id);
    return record === undefined ? undefined : this.#toRow(record);
  }

  /** The newest attempts first. */
  list(limit = 200): BundleImportRow[] {
    return this.#db
      .prepare<[number], ImportRecord>('SELECT * FROM bundle_imports ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map((record) => this.#toRow(record));
  }

  #toRow(record: ImportRecord): BundleImportRow {
    const targets = this.#db
      .prepare<[number], TargetRecord>(
        'SELECT * FROM bundle_targets WHERE import_id = ? ORDER BY kind, name, version, path',
      )
      .all(record.id)
      .map((target) => ({
        path: target.path,
        kind: target.kind,
        name: target.name,
        version: target.version,
        hardware: JSON.parse(target.hardware) as string[],
        length: target.length,
        sha256: target.sha256,
        role: target.role,
        custom: JSON.parse(target.custom) as Record<string, unknown>,
      }));
    return {
      id: record.id,
      status: record.status,
      fileName: record.file_name,
      filePath: record.file_path,
      attemptedAt: record.attempted_at,
      bundleId: record.bundle_id,
      rootVersion: record.root_version,
      timestampVersion: record.timestamp_version,
      expires: record.expires,
      roles: record.roles === null ? [] : (JSON.parse(record.roles) as BundleImportRow['roles']),
      targets,
      error:
        record.error_code === null ? null : { code: record.error_code, message: record.error_message ?? '' },
    };
  }
}
