/** `deckhand import FILE.dhb`: verify a bundle against the pinned root and copy it into the store. */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { formatBytes, formatDay } from '../../../core/bundle/human-format';
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';
import { progressPrinter } from '../progress-printer';

/** Imports one bundle; progress on stderr, the result on stdout. */
export async function runImportCommand(context: CommandContext): Promise<number> {
  const { positionals } = parseCommandArgs(context.args, {});
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new DeckhandError('usage', 'deckhand import needs one FILE.dhb (or bundle folder).');
  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  const jobId = randomUUID();
  const printer = progressPrinter(context.io, (record) =>
    record.bytes > 0 ? `${formatBytes(record.bytes)} at ${formatBytes(record.bytesPerSec)}/s` : '',
  );
  const unsubscribe = backend.events.subscribe((name, payload) => {
    if (name === 'progress' && (payload as { jobId?: string }).jobId === jobId)
      printer.onProgress(payload as never);
  });
  const interrupt = (): void => {
    backend.bundles.cancel(jobId);
  };
  process.once('SIGINT', interrupt);
  try {
    const outcome = await backend.bundles.import({ path: resolve(file), jobId });
    printer.done();
    const row = outcome.import;
    if (context.json) {
      printJson(context.io, { ok: true, import: row, copied: outcome.copied, reused: outcome.reused });
    } else {
      context.io.stdout.write(
        `Imported ${row.fileName}: ${row.targets.length} targets (${outcome.copied} copied, ${outcome.reused} already here), expires ${formatDay(row.expires ?? '')}.\n`,
      );
      for (const t of row.targets)
        context.io.stdout.write(
          `  ${t.kind.padEnd(8)} ${t.name} ${t.version}  [${t.hardware.join(', ')}]  ${formatBytes(t.length)}\n`,
        );
    }
    return EXIT.ok;
  } finally {
    printer.done();
    process.removeListener('SIGINT', interrupt);
    unsubscribe();
    backend.close();
  }
}
