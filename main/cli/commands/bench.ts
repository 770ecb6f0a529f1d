/**
 * `deckhand bench NAME`: benchmarks that measure Deckhand against a standard tool in the same run
 * and print the ratio (ours ÷ baseline; above 1 is better for throughput). Each benchmark is one
 * entry of BENCHES.
 */
import { DeckhandError } from '../../../core/result';
import type { CommandContext } from '../main';
import { runImportBench } from '../benches/import-bench';
import { runLinkBench } from '../benches/link-bench';
import { runSyncBench } from '../benches/sync-bench';

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
  sync: { usage: 'deckhand bench sync [--events 100000] [--postgres URL] [--json]', run: runSyncBench },
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
