/** Imported bundles and their targets (owned by the bundles feature; fill in before it ships). */
export const bundlesMigration = {
  version: 2,
  name: 'bundles',
  sql: /* sql */ ``,
} as const;
