/**
 * `deckhand bench NAME`: benchmarks that measure Deckhand against a standard tool in the same run
 * and print the ratio (ours ÷ baseline; above 1 is better for throughput). Each benchmark is one
 * entry of BENCHES.
 */
import { DeckhandError } from '../../../core/result';
import type { CommandContext } from '../main';
import { runDiagnoseBench } from '../benches/diagnose-bench';
import { runFleetBench } from '../benches/fleet-bench';
import { runImportBench } from '../benches/import-bench';
import { runLinkBench } from '../benches/link-bench';
import { runSshBench } from '../benches/ssh-bench';
import { runSyncBench } from '../benches/sync-bench';
import { runWriteBench } from '../benches/write-bench';

/** A benchmark: its usage line and how to run it with the arguments after its name. */
interface BenchSpec {
  readonly usage: string;
  readonly run: (context: CommandContext, args: readonly string[]) => Promise<number>;
}

/** Every benchmark, by name. */
const BENCHES: Readonly<Record<string, BenchSpec>> = {
  import: { usage: 'deckhand bench import [--size 1GiB] [--work DIR] [--json]', run: runImportBench },
  link: {
    usage: 'deckhand bench link [--size 1GiB] [--serial-size 1MiB] [--lan-only|--serial-only] [--json]',
    run: runLinkBench,
  },
  fleet: { usage: 'deckhand bench fleet [--devices 16] [--size 256MiB] [--json]', run: runFleetBench },
  sync: { usage: 'deckhand bench sync [--events 100000] [--postgres URL] [--json]', run: runSyncBench },
  ssh: { usage: 'deckhand bench ssh [--size 1GiB] [--rounds 3] [--json]', run: runSshBench },
  write: {
    usage: 'deckhand bench write [--size 512MiB] [--work DIR] [--rounds N] [--json]',
    run: runWriteBench,
  },
  diagnose: {
    usage:
      'deckhand bench diagnose [--concurrency 4] [--duration 5s] [--rounds 4] [--url URL --model NAME] [--json]',
    run: runDiagnoseBench,
  },
};

/** Dispatches `bench NAME`. */
export async function runBenchCommand(context: CommandContext): Promise<number> {
  const [name, ...args] = context.args;
  const bench = name === undefined ? undefined : BENCHES[name];
  if (bench === undefined) {
    throw new DeckhandError(
      'usage',
      `Name a benchmark: ${Object.values(BENCHES)
        .map((spec) => spec.usage)
        .join(' | ')}${name ? ` (not "${name}")` : ''}.`,
    );
  }
  return bench.run(context, args);
}
