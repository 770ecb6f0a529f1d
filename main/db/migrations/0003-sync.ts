/**
 * Sync to HQ: the enrolment (which HQ, its pinned certificate and receipt key), the checkpoints this
 * laptop signed, and the receipts HQ countersigned. The technician key itself lives in keys/.
 */
export const syncMigration = {
  version: 3,
  name: 'sync',
  sql: /* sql */ `
    CREATE TABLE hq_enrolment (
      id               INTEGER PRIMARY KEY CHECK (id = 1),
      hq_url           TEXT NOT NULL,
      hq_name          TEXT NOT NULL,
      hq_key_id        TEXT NOT NULL,
      hq_public_key    TEXT NOT NULL,
      cert_pem         TEXT NOT NULL,
      cert_fingerprint TEXT NOT NULL,
      technician_key   TEXT NOT NULL,
      technician_name  TEXT NOT NULL,
      enrolled_at      TEXT NOT NULL
    ) STRICT;
    CREATE TABLE checkpoints (
      id        INTEGER PRIMARY KEY,
      size      INTEGER NOT NULL,
      head      TEXT    NOT NULL,
      time      TEXT    NOT NULL,
      signature TEXT    NOT NULL,
      reason    TEXT    NOT NULL
    ) STRICT;
    CREATE TABLE receipts (
      id          INTEGER PRIMARY KEY,
      hq_key_id   TEXT    NOT NULL,
      size        INTEGER NOT NULL,
      head        TEXT    NOT NULL,
      time        TEXT    NOT NULL,
      signature   TEXT    NOT NULL,
      received_at TEXT    NOT NULL
    ) STRICT;
  `,
} as const;
