/** `deckhand logs list|verify|export|checkpoint`: read, verify and export the deploy log from the shell. */
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { checkpointLogs, exportLogs } from './logs-export';
import { parseCommandArgs, type CommandContext } from '../main';

/** Dispatches `logs` subcommands. */
export async function runLogsCommand(context: CommandContext): Promise<number> {
  const [sub, ...args] = context.args;
  switch (sub) {
    case 'list':
      return listLogs(context, args);
    case 'verify':
      return verifyLogs(context, args);
    case 'export':
      return exportLogs(context, args);
    case 'checkpoint':
      return checkpointLogs(context, args);
    default:
      throw new DeckhandError(
        'usage',
        `Use "deckhand logs list", "verify", "export --out FILE.dhlog" or "checkpoint"${sub ? ` (not "${sub}")` : ''}.`,
      );
  }
}

function listLogs(context: CommandContext, args: readonly string[]): number {
  const { values } = parseCommandArgs(
    args,
    {
      kind: { type: 'string' },
      device: { type: 'string' },
      limit: { type: 'string', default: '50' },
    },
    false,
  );
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new DeckhandError('usage', '--limit must be a whole number between 1 and 1000000.');
  }
  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  try {
    const page = backend.logs.query({ offset: 0, limit, kind: values.kind, device: values.device });
    if (context.json) {
      printJson(context.io, { ok: true, total: page.total, events: page.rows });
      return EXIT.ok;
    }
    if (page.total === 0) {
      context.io.stdout.write('The deploy log is empty.\n');
      return EXIT.ok;
    }
    for (const row of [...page.rows].reverse()) {
      context.io.stdout.write(
        `${String(row.seq).padStart(7)}  ${row.time}  ${row.kind.padEnd(24)}  ${row.device ?? '-'}\n`,
      );
    }
    if (page.total > page.rows.length)
      context.io.stderr.write(`(${page.rows.length} newest of ${page.total}; use --limit)\n`);
    return EXIT.ok;
  } finally {
    backend.close();
  }
}

function verifyLogs(context: CommandContext, args: readonly string[]): number {
  parseCommandArgs(args, {}, false);
  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  try {
    const status = backend.logs.verify();
    if (status.valid) {
      if (context.json)
        printJson(context.io, { ok: true, valid: true, size: status.size, head: status.head });
      else context.io.stdout.write(`Chain intact: ${status.size} events, head ${status.head}\n`);
      return EXIT.ok;
    }
    const message = `The deploy log was altered: the chain breaks at seq ${status.firstBadSeq} (${status.reason.replaceAll('_', ' ')}). Events before it are intact. Do not delete the data folder; report it to HQ.`;
    if (context.json) {
      printJson(context.io, {
        ok: false,
        error: {
          code: 'chain_broken',
          message,
          details: { firstBadSeq: status.firstBadSeq, reason: status.reason, size: status.size },
        },
      });
    } else context.io.stderr.write(`deckhand: ${message} [chain_broken]\n`);
    return EXIT.failure;
  } finally {
    backend.close();
  }
}
