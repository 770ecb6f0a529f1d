/**
 * The link benchmark outside the CLI: `npx tsx test/bench/link-bench.ts [--size 1GiB] [--serial-size 1MiB] [--json]`.
 * Same code as `deckhand bench link`: an upload over TLS to an agent on loopback against a raw TCP
 * copy, and uploads over a paced 115200 8N1 pty bridge against lrzsz ZMODEM and on a noisy line.
 * Not part of the pass/fail tests.
 */
import { runLinkBench } from '../../main/cli/benches/link-bench';

const args = process.argv.slice(2);
const json = args.includes('--json');
process.exitCode = await runLinkBench(
  {
    io: { stdout: process.stdout, stderr: process.stderr, env: process.env },
    dataDir: '',
    json,
    version: 'bench',
    args: [],
  },
  args.filter((arg) => arg !== '--json'),
);
