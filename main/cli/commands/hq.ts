/**
 * `deckhand hq serve|import|revoke|technicians`: the HQ service and its admin tools. The CLI is the
 * composition root for HQ: it opens the store the `--db` URL names and wires hq/ together.
 */
import { join } from 'node:path';
import { DeckhandError } from '../../../core/result';
import { loadHqKeys } from '../../../hq/hq-identity';
import { HqService } from '../../../hq/hq-service';
import { startHqServer } from '../../../hq/server';
import { openHqStore } from '../../../hq/store/open-store';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** The env var with HQ's default database URL. */
export const HQ_DB_ENV = 'DECKHAND_HQ_DB';

/** Dispatches `hq` subcommands. */
export async function runHqCommand(context: CommandContext): Promise<number> {
  const [sub, ...args] = context.args;
  switch (sub) {
    case 'serve':
      return serve(context, args);
    case 'import':
      return importFile(context, args);
    case 'revoke':
      return revoke(context, args);
    case 'technicians':
      return technicians(context, args);
    default:
      throw new DeckhandError(
        'usage',
        `Use "deckhand hq serve", "hq import FILE", "hq revoke KEY_ID" or "hq technicians"${sub ? ` (not "${sub}")` : ''}.`,
      );
  }
}

function dbUrl(context: CommandContext, flag: string | undefined): string {
  return flag ?? context.io.env[HQ_DB_ENV] ?? `sqlite:${join(context.dataDir, 'hq', 'hq.db')}`;
}

async function serve(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      listen: { type: 'string', default: '127.0.0.1:8443' },
      db: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      name: { type: 'string' },
      'enrol-token': { type: 'string' },
    },
    false,
  );
  const match = /^(.*):(\d+)$/.exec(values.listen);
  const port = Number(match?.[2]);
  if (!match || !match[1] || port > 65535)
    throw new DeckhandError('usage', '--listen must be HOST:PORT, e.g. 0.0.0.0:8443.');
  if ((values.cert === undefined) !== (values.key === undefined))
    throw new DeckhandError('usage', '--cert and --key go together.');
  const store = await openHqStore(dbUrl(context, values.db));
  const keys = await loadHqKeys(store, { name: values.name, certFile: values.cert, keyFile: values.key });
  const service = new HqService(store, keys, { enrolToken: values['enrol-token'] });
  const server = await startHqServer({
    service,
    keys,
    host: match[1].replace(/^\[|\]$/g, ''),
    port,
    logInternal: (route, thrown) =>
      context.io.stderr.write(
        `deckhand hq: ${route} failed: ${String((thrown as Error)?.stack ?? thrown)}\n`,
      ),
  });
  const info = {
    url: server.url,
    port: server.port,
    name: keys.identity.name,
    keyId: keys.identity.keyId,
    fingerprint: keys.fingerprint,
    db: store.kind,
  };
  if (context.json) printJson(context.io, { ok: true, ...info });
  else
    context.io.stdout.write(
      `Deckhand HQ "${info.name}" listening on ${info.url} (${store.kind})\nCertificate fingerprint (SHA-256): ${info.fingerprint}\nReceipt key: ${info.keyId}\n`,
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await store.close();
  return EXIT.ok;
}

async function importFile(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' } });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new DeckhandError('usage', 'Use "deckhand hq import FILE.dhlog [--db URL]".');
  const store = await openHqStore(dbUrl(context, values.db));
  try {
    const service = new HqService(store, await loadHqKeys(store));
    const result = await service.importFile(file, { enrolUnknown: true });
    if (context.json) printJson(context.io, { ok: true, ...result });
    else
      context.io.stdout.write(
        result.added === 0
          ? `Nothing new: HQ already held all ${result.size} events of technician ${result.technician}.\n`
          : `Imported ${result.added} new events of technician ${result.technician}; HQ holds ${result.receipt.receipt.size}.\n`,
      );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

async function revoke(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { db: { type: 'string' } });
  const [keyId] = positionals;
  if (keyId === undefined) throw new DeckhandError('usage', 'Use "deckhand hq revoke KEY_ID [--db URL]".');
  const store = await openHqStore(dbUrl(context, values.db));
  try {
    await new HqService(store, await loadHqKeys(store)).revoke(keyId);
    if (context.json) printJson(context.io, { ok: true, revoked: keyId });
    else context.io.stdout.write(`Revoked technician key ${keyId}; HQ refuses its uploads from now on.\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

async function technicians(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { db: { type: 'string' } }, false);
  const store = await openHqStore(dbUrl(context, values.db));
  try {
    const list = await store.technicians();
    if (context.json) printJson(context.io, { ok: true, technicians: list });
    else
      for (const t of list)
        context.io.stdout.write(
          `${t.keyId}  ${t.name.padEnd(20)} ${String(t.headSeq).padStart(9)} events  ${t.revokedAt ? `revoked ${t.revokedAt}` : 'active'}\n`,
        );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
