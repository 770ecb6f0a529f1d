/**
 * The import benchmark outside the CLI: `npx tsx test/bench/import-bench.ts [--size 1GiB]`.
 * Same code as `deckhand bench import`: builds a bundle with one target of that size, times
 * `openssl dgst -sha256` on the bundle and Deckhand's verified import of it in the same run, and
 * prints the ratio (ours ÷ openssl) and the peak resident memory. Not part of the pass/fail tests.
 */
import { runImportBench } from '../../main/cli/commands/bench-import';

const args = process.argv.slice(2);
const json = args.includes('--json');
process.exitCode = await runImportBench(
  {
    io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
    dataDir: '',
    json,
    version: 'bench',
    args: [],
  },
  args.filter((arg) => arg !== '--json'),
);
