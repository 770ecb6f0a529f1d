/** `deckhand keys init|rotate-root`: HQ's signing keys for bundles (run at HQ, never on a laptop). */
import { ALL_ROLES, type RoleName } from '../../../core/bundle/metadata-builder';
import { DeckhandError } from '../../../core/result';
import {
  DEFAULT_ROOT_LIFETIME_DAYS,
  initKeyRing,
  rotateRoot,
  type KeyRing,
} from '../../services/bundles/key-ring';
import { parseDuration } from '../../services/bundles/bundle-manifest';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Dispatches `keys` subcommands. */
export async function runKeysCommand(context: CommandContext): Promise<number> {
  const [sub, ...args] = context.args;
  switch (sub) {
    case 'init':
      return init(context, args);
    case 'rotate-root':
      return rotate(context, args);
    default:
      throw new DeckhandError(
        'usage',
        `Use "deckhand keys init --out DIR" or "deckhand keys rotate-root --keys DIR"${sub ? ` (not "${sub}")` : ''}.`,
      );
  }
}

function init(context: CommandContext, args: readonly string[]): number {
  const { values } = parseCommandArgs(
    args,
    { out: { type: 'string' }, 'root-expires': { type: 'string' } },
    false,
  );
  if (!values.out) throw new DeckhandError('usage', 'deckhand keys init needs --out DIR.');
  const ring = initKeyRing(values.out, {
    passphrase: passphrase(context),
    rootExpires: rootExpiry(values['root-expires']),
  });
  report(context, ring, `Created keys for ${ALL_ROLES.join(', ')} and root version 1 in ${ring.dir}.`);
  return EXIT.ok;
}

function rotate(context: CommandContext, args: readonly string[]): number {
  const { values } = parseCommandArgs(
    args,
    { keys: { type: 'string' }, replace: { type: 'string' }, 'root-expires': { type: 'string' } },
    false,
  );
  if (!values.keys) throw new DeckhandError('usage', 'deckhand keys rotate-root needs --keys DIR.');
  const replace = values.replace;
  if (replace !== undefined && !(ALL_ROLES as readonly string[]).includes(replace))
    throw new DeckhandError('usage', `--replace takes one of ${ALL_ROLES.join(', ')}.`);
  const { ring, replacedKeyId } = rotateRoot(values.keys, {
    passphrase: passphrase(context),
    replace: replace as RoleName | undefined,
    rootExpires: rootExpiry(values['root-expires']),
  });
  report(
    context,
    ring,
    `Issued root version ${ring.rootVersion}${replace ? `; ${replace} has a new key (the old one, ${replacedKeyId?.slice(0, 16)}…, is in retired/)` : ''}. Bundles made from now on carry the whole root chain.`,
    replacedKeyId,
  );
  return EXIT.ok;
}

function report(
  context: CommandContext,
  ring: KeyRing,
  summary: string,
  replacedKeyId: string | null = null,
): void {
  const keyIds = Object.fromEntries(ALL_ROLES.map((role) => [role, ring.keys[role].keyId]));
  if (context.json) {
    printJson(context.io, { ok: true, dir: ring.dir, rootVersion: ring.rootVersion, keyIds, replacedKeyId });
    return;
  }
  context.io.stdout.write(`${summary}\n`);
  for (const role of ALL_ROLES) context.io.stdout.write(`  ${role.padEnd(10)} ${ring.keys[role].keyId}\n`);
  context.io.stdout.write(
    `Publish ${ring.dir}/root.json to laptops (deckhand trust pin). Keep the root key offline.\n`,
  );
}

function passphrase(context: CommandContext): string | undefined {
  const value = context.io.env['DECKHAND_KEY_PASSPHRASE'];
  return value === undefined || value === '' ? undefined : value;
}

function rootExpiry(text: string | undefined): Date {
  return new Date(Date.now() + parseDuration(text ?? `${DEFAULT_ROOT_LIFETIME_DAYS}d`));
}
