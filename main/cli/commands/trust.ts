/** `deckhand trust pin ROOT.json` and `deckhand trust show`: the org root bundles are verified against. */
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Dispatches `trust` subcommands. */
export async function runTrustCommand(context: CommandContext): Promise<number> {
  const [sub, ...args] = context.args;
  switch (sub) {
    case 'pin':
      return pin(context, args);
    case 'show':
      return show(context, args);
    default:
      throw new DeckhandError(
        'usage',
        `Use "deckhand trust pin ROOT.json" or "deckhand trust show"${sub ? ` (not "${sub}")` : ''}.`,
      );
  }
}

function pin(context: CommandContext, args: readonly string[]): number {
  const { positionals } = parseCommandArgs(args, {});
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new DeckhandError('usage', 'deckhand trust pin needs one ROOT.json file.');
  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  try {
    const trust = backend.bundles.pin(file);
    if (context.json) printJson(context.io, { ok: true, trust });
    else {
      context.io.stdout.write(
        `Pinned root version ${trust.rootVersion} (root keys ${trust.rootKeyIds.join(', ')}).\n`,
      );
      context.io.stdout.write(
        'Bundles are now verified against this root; earlier import history for another root no longer applies.\n',
      );
    }
    return EXIT.ok;
  } finally {
    backend.close();
  }
}

function show(context: CommandContext, args: readonly string[]): number {
  parseCommandArgs(args, {}, false);
  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  try {
    const trust = backend.bundles.trustSummary();
    if (context.json) printJson(context.io, { ok: true, trust });
    else if (trust === null)
      context.io.stdout.write('No trust root is pinned. Run: deckhand trust pin ROOT.json\n');
    else {
      context.io.stdout.write(
        `Root version ${trust.rootVersion} (${trust.source === 'org' ? 'shipped with this build' : 'pinned'}), expires ${trust.rootExpires}\nRoot keys: ${trust.rootKeyIds.join(', ')}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    backend.close();
  }
}
