/**
 * Deploy runs and each device's progress through them, so a run survives the app being killed: at
 * the next start the engine reads every unfinished device's real state back from the device. Also the
 * metadata files of imported bundles, which travel with each target to the device.
 */
export const deployMigration = {
  version: 5,
  name: 'deploy',
  sql: /* sql */ `
    CREATE TABLE deploy_runs (
      id           TEXT PRIMARY KEY,
      created_at   TEXT NOT NULL,
      -- The target as the plan saw it (JSON: path, name, version, kind, sha256, length, …).
      target       TEXT NOT NULL,
      concurrency  INTEGER NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled')),
      finished_at  TEXT
    ) STRICT;
    CREATE TABLE deploy_devices (
      run_id       TEXT NOT NULL REFERENCES deploy_runs(id),
      device       TEXT NOT NULL,
      position     INTEGER NOT NULL,
      step         TEXT NOT NULL,
      outcome      TEXT NOT NULL CHECK (outcome IN
                     ('pending', 'running', 'committed', 'rolled_back', 'failed', 'refused', 'cancelled')),
      error_code   TEXT,
      reason       TEXT,
      updated_at   TEXT NOT NULL,
      PRIMARY KEY (run_id, device)
    ) STRICT;
    CREATE INDEX deploy_devices_by_device ON deploy_devices(device, updated_at);
    -- HQ's metadata files of each imported bundle, byte for byte: devices verify targets against them.
    CREATE TABLE bundle_metadata (
      import_id    INTEGER NOT NULL REFERENCES bundle_imports(id),
      name         TEXT NOT NULL,
      bytes        BLOB NOT NULL,
      PRIMARY KEY (import_id, name)
    ) STRICT;
  `,
} as const;
