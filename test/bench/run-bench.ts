/**
 * The benchmarks outside the CLI: `npx tsx test/bench/run-bench.ts NAME [options] [--json]`, where
 * NAME is import, sync or link. The same code as `deckhand bench NAME` (main/cli/benches/): each
 * measures Deckhand against a standard tool in the same run and prints the ratio. Not part of the
 * pass/fail tests.
 */
import { runBenchCommand } from '../../main/cli/commands/bench';

const args = process.argv.slice(2);
process.exitCode = await runBenchCommand({
  io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
  dataDir: '',
  json: args.includes('--json'),
  version: 'bench',
  args: args.filter((arg) => arg !== '--json'),
});
