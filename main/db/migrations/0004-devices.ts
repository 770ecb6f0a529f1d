/**
 * Devices the technician added by address (manual URIs). Discovered candidates are not stored: they
 * come back from their sources. Certificate pins stay in devices/pins.json (device-pins.ts).
 */
export const devicesMigration = {
  version: 4,
  name: 'devices',
  sql: /* sql */ `
    CREATE TABLE devices (
      uri      TEXT PRIMARY KEY,
      label    TEXT NOT NULL,
      added_at TEXT NOT NULL
    ) STRICT;
  `,
} as const;
