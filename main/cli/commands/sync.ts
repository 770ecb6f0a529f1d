/** `deckhand sync`: enrol with an HQ (first time) and upload the deploy log's outbox. */
import { userInfo } from 'node:os';
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { cliKeyProtector } from '../key-protection';
import { parseCommandArgs, type CommandContext } from '../main';
import { progressPrinter } from '../progress-printer';

/** Runs `deckhand sync [status]`. */
export async function runSyncCommand(context: CommandContext): Promise<number> {
  const status = context.args[0] === 'status';
  const { values } = parseCommandArgs(
    status ? context.args.slice(1) : context.args,
    {
      hq: { type: 'string' },
      name: { type: 'string' },
      fingerprint: { type: 'string' },
      token: { type: 'string' },
      'passphrase-file': { type: 'string' },
      'batch-size': { type: 'string' },
      probe: { type: 'boolean', default: false },
    },
    false,
  );
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000))
    throw new DeckhandError('usage', '--batch-size must be 1–10000.');
  const backend = openBackend({
    dataDir: context.dataDir,
    host: 'cli',
    version: context.version,
    keyProtector: cliKeyProtector(values['passphrase-file'], context.io.env),
    ...(batchSize ? { syncPolicy: { batchSize } } : {}),
  });
  try {
    if (status) {
      const state = await backend.sync.status({ probe: values.probe });
      if (context.json) printJson(context.io, { ok: true, ...state });
      else {
        context.io.stdout.write(
          state.hq
            ? `HQ ${state.hq.name} at ${state.hq.url}${state.reachable === null ? '' : state.reachable ? ' (reachable)' : ' (not reachable)'}\n` +
                `Pending: ${state.pending} of ${state.logSize} events; last sync ${state.lastSyncAt ?? 'never'}\n`
            : `Not enrolled with an HQ. ${state.logSize} events in the log.\n`,
        );
      }
      return EXIT.ok;
    }
    let enrolment = (await backend.sync.status()).hq;
    if (values.hq !== undefined && enrolment?.url !== values.hq) {
      const enrolled = await backend.sync.enrol({
        hqUrl: values.hq,
        technicianName: values.name ?? userInfo().username,
        fingerprint: values.fingerprint,
        token: values.token,
      });
      enrolment = enrolled.hq;
      if (!context.json)
        context.io.stderr.write(
          `Enrolled with ${enrolment?.name} (certificate ${enrolment?.fingerprint}).\n`,
        );
    }
    if (enrolment === null)
      throw new DeckhandError(
        'not_enrolled',
        'This laptop is not enrolled with an HQ yet. Run "deckhand sync --hq https://HOST:PORT".',
      );
    const printer = progressPrinter(context.io, (record) => `${(record.bytes / 1024).toFixed(0)} KiB`);
    const unsubscribe = backend.events.subscribe((name, payload) => {
      if (name === 'progress') printer.onProgress(payload as Parameters<typeof printer.onProgress>[0]);
    });
    const interrupt = (): void => {
      backend.sync.cancel();
    };
    process.once('SIGINT', interrupt);
    try {
      const outcome = await backend.sync.syncNow();
      printer.done();
      const { receipt, signature } = outcome.receipt;
      if (context.json)
        printJson(context.io, { ok: true, sent: outcome.sent, batches: outcome.batches, receipt, signature });
      else
        context.io.stdout.write(
          outcome.sent === 0
            ? `Nothing new to send: HQ holds all ${receipt.size} events.\n`
            : `Sent ${outcome.sent} events in ${outcome.batches} batches; HQ holds ${receipt.size} events (head ${receipt.head.slice(0, 16)}…).\n`,
        );
      return EXIT.ok;
    } finally {
      printer.done();
      unsubscribe();
      process.off('SIGINT', interrupt);
    }
  } finally {
    backend.close();
  }
}
