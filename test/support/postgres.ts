/**
 * A throwaway PostgreSQL server per test file (hq/dev/throwaway-postgres.ts), started on first use.
 * Missing PostgreSQL skips the PostgreSQL cases locally and fails them under CI=true.
 */
import { afterAll } from 'vitest';
import {
  findPostgresBin,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../hq/dev/throwaway-postgres';
import { requirePrerequisite } from './prerequisites';

/** True when PostgreSQL can be started here (or the test must fail under CI). */
export function postgresAvailable(): boolean {
  return requirePrerequisite(
    findPostgresBin() !== null,
    'PostgreSQL server (initdb, pg_ctl)',
    'apt-get install postgresql',
  );
}

/** Returns a function that creates a fresh database on this file's server and gives its URL. */
export function usePostgres(): () => Promise<string> {
  let server: Promise<ThrowawayPostgres> | null = null;
  let counter = 0;
  afterAll(async () => {
    if (server) (await server).stop();
  });
  return async () => {
    server ??= startThrowawayPostgres();
    counter += 1;
    return (await server).createDatabase(`t${process.pid}_${counter}`);
  };
}
