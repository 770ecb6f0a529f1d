/** Technician identity, checkpoints and HQ receipts (owned by the sync feature; fill in before it ships). */
export const syncMigration = {
  version: 3,
  name: 'sync',
  sql: /* sql */ ``,
} as const;
