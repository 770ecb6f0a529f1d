/** The append-only, hash-chained deploy log (see core/eventlog/chain.ts for what the hashes cover). */
export const eventLogMigration = {
  version: 1,
  name: 'event log',
  sql: /* sql */ `
    CREATE TABLE events (
      seq       INTEGER PRIMARY KEY,
      time      TEXT    NOT NULL,
      kind      TEXT    NOT NULL,
      device    TEXT,
      payload   TEXT    NOT NULL,
      prev_hash TEXT    NOT NULL,
      hash      TEXT    NOT NULL UNIQUE
    ) STRICT;
    CREATE INDEX events_kind ON events (kind, seq);
    CREATE INDEX events_device ON events (device, seq);

    -- Only appends that continue the chain: next seq, previous row's hash.
    CREATE TRIGGER events_append_only_in_order BEFORE INSERT ON events
    WHEN NEW.seq IS NOT (SELECT IFNULL(MAX(seq), 0) + 1 FROM events)
      OR NEW.prev_hash IS NOT IFNULL((SELECT hash FROM events ORDER BY seq DESC LIMIT 1), '${'0'.repeat(64)}')
    BEGIN
      SELECT RAISE(ABORT, 'events: append out of order');
    END;
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN
      SELECT RAISE(ABORT, 'events: the log is append-only');
    END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN
      SELECT RAISE(ABORT, 'events: the log is append-only');
    END;
  `,
} as const;
