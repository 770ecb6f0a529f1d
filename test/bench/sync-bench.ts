/**
 * The sync benchmark outside the CLI: `npx tsx test/bench/sync-bench.ts [--events 1000000] [--json]`.
 * Same code as `deckhand bench sync`: seeds a laptop log, syncs it over HTTPS into HQ (its own
 * process) on SQLite and on PostgreSQL, and compares with `sqlite3 .import` and `psql \copy` of the
 * same rows. Prints events per second, HQ's peak memory and the ratios. Not part of the pass/fail tests.
 */
import { runSyncBench } from '../../main/cli/commands/bench-sync';

const args = process.argv.slice(2);
const json = args.includes('--json');
process.exitCode = await runSyncBench(
  {
    io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
    dataDir: '',
    json,
    version: 'bench',
    args: [],
  },
  args.filter((arg) => arg !== '--json'),
);
