/**
 * Bundle imports and the targets they brought. Every attempt is a row, refusals included (with their
 * code and message), so the Bundles screen can list what was refused and why; target rows exist
 * only for imports that succeeded, and their blobs are in the content-addressed store.
 */
export const bundlesMigration = {
  version: 2,
  name: 'bundles',
  sql: /* sql */ `
    CREATE TABLE bundle_imports (
      id                INTEGER PRIMARY KEY,
      status            TEXT    NOT NULL CHECK (status IN ('imported', 'refused')),
      file_name         TEXT    NOT NULL,
      file_path         TEXT    NOT NULL,
      attempted_at      TEXT    NOT NULL,
      bundle_id         TEXT,
      root_version      INTEGER,
      timestamp_version INTEGER,
      expires           TEXT,
      roles             TEXT,
      error_code        TEXT,
      error_message     TEXT
    ) STRICT;
    CREATE INDEX bundle_imports_bundle ON bundle_imports (bundle_id);

    CREATE TABLE bundle_targets (
      import_id INTEGER NOT NULL REFERENCES bundle_imports (id),
      path      TEXT    NOT NULL,
      kind      TEXT    NOT NULL,
      name      TEXT    NOT NULL,
      version   TEXT    NOT NULL,
      hardware  TEXT    NOT NULL,
      length    INTEGER NOT NULL,
      sha256    TEXT    NOT NULL,
      role      TEXT    NOT NULL,
      custom    TEXT    NOT NULL,
      PRIMARY KEY (import_id, path)
    ) STRICT;
    CREATE INDEX bundle_targets_name ON bundle_targets (kind, name, version);
    CREATE INDEX bundle_targets_sha256 ON bundle_targets (sha256);
  `,
} as const;
