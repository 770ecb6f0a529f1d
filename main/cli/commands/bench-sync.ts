/** `deckhand bench sync`: events per second into HQ on SQLite and PostgreSQL, against the databases' bulk loaders. */
import { DeckhandError } from '../../../core/result';
import { benchSync } from '../benches/sync-bench';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Runs the sync benchmark and prints its figures. */
export async function runSyncBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      events: { type: 'string', default: '100000' },
      'batch-size': { type: 'string', default: '5000' },
      postgres: { type: 'string' },
    },
    false,
  );
  const events = Number(values.events);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(events) || events < 1 || events > 50_000_000)
    throw new DeckhandError('usage', '--events must be 1–50000000.');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new DeckhandError('usage', '--batch-size must be 1–10000.');
  const result = await benchSync({
    events,
    batchSize,
    postgresUrl: values.postgres,
    log: (line) => context.io.stderr.write(`${line}\n`),
  });
  if (context.json) {
    printJson(context.io, { ok: true, ...result });
    return EXIT.ok;
  }
  for (const run of result.runs) {
    context.io.stdout.write(
      `${run.db.padEnd(9)} ${Math.round(run.eventsPerSec).toLocaleString('en')} events/s (${run.seconds.toFixed(2)} s, HQ peak RSS ${run.peakRssMb.toFixed(0)} MiB, laptop ${run.laptopPeakRssMb.toFixed(0)} MiB)` +
        (run.baseline
          ? `; ${run.baseline.tool} ${Math.round(run.baseline.eventsPerSec).toLocaleString('en')} events/s; ratio ${run.ratio?.toFixed(2)}\n`
          : '\n'),
    );
  }
  for (const reason of result.skipped) context.io.stdout.write(`skipped ${reason}\n`);
  context.io.stdout.write(
    `Goal ≥ ${result.goal.eventsPerSec.toLocaleString('en')} events/s into SQLite HQ: ${result.goal.met ? 'met' : 'NOT met'}\n`,
  );
  return EXIT.ok;
}
