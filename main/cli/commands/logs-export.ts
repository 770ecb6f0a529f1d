/** `deckhand logs export --out FILE.dhlog` and `deckhand logs checkpoint`: the trip-home file and checkpoints on request. */
import { resolve } from 'node:path';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { cliKeyProtector } from '../key-protection';
import { parseCommandArgs, type CommandContext } from '../main';
import { DeckhandError } from '../../../core/result';

/** Writes the whole log and a signed checkpoint to a `.dhlog` file. */
export function exportLogs(context: CommandContext, args: readonly string[]): number {
  const { values } = parseCommandArgs(
    args,
    { out: { type: 'string' }, 'passphrase-file': { type: 'string' } },
    false,
  );
  if (!values.out) throw new DeckhandError('usage', 'Use "deckhand logs export --out FILE.dhlog".');
  const file = resolve(values.out);
  const backend = openBackend({
    dataDir: context.dataDir,
    host: 'cli',
    version: context.version,
    keyProtector: cliKeyProtector(values['passphrase-file'], context.io.env),
  });
  try {
    const { size, checkpoint } = backend.sync.exportLog(file);
    if (context.json) printJson(context.io, { ok: true, file, size, checkpoint });
    else context.io.stdout.write(`Exported ${size} events to ${file} (signed checkpoint at seq ${size}).\n`);
    return EXIT.ok;
  } finally {
    backend.close();
  }
}

/** Signs and keeps a checkpoint over the log as it is now. */
export function checkpointLogs(context: CommandContext, args: readonly string[]): number {
  const { values } = parseCommandArgs(args, { 'passphrase-file': { type: 'string' } }, false);
  const backend = openBackend({
    dataDir: context.dataDir,
    host: 'cli',
    version: context.version,
    keyProtector: cliKeyProtector(values['passphrase-file'], context.io.env),
  });
  try {
    const signed = backend.sync.checkpoint('request');
    if (context.json) printJson(context.io, { ok: true, ...signed });
    else
      context.io.stdout.write(
        `Checkpoint: ${signed.checkpoint.size} events, head ${signed.checkpoint.head}, signed by ${signed.checkpoint.technician}.\n`,
      );
    return EXIT.ok;
  } finally {
    backend.close();
  }
}
