/** Every schema migration, in order. Append new ones; never edit one that has shipped. */
import { eventLogMigration } from './0001-event-log';
import { bundlesMigration } from './0002-bundles';
import { syncMigration } from './0003-sync';
import { devicesMigration } from './0004-devices';
import { deployMigration } from './0005-deploy';

/** One numbered schema step, applied inside the opening transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** All migrations; `version` must equal the position + 1. */
export const MIGRATIONS: readonly Migration[] = [
  eventLogMigration,
  bundlesMigration,
  syncMigration,
  devicesMigration,
  deployMigration,
];
