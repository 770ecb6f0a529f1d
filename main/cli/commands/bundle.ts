/** `deckhand bundle create|inspect|verify`: make a signed bundle at HQ, and look inside one anywhere. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatBytes, formatDay } from '../../../core/bundle/human-format';
import { summariseMetadata } from '../../../core/bundle/metadata-summary';
import { initialTrustState, parseSelfSignedRoot } from '../../../core/bundle/trust-state';
import { parseCanonical, type JsonObject } from '../../../core/bundle/tuf-json';
import { DeckhandError } from '../../../core/result';
import { parseDuration, parseTargetGroups, readManifest } from '../../services/bundles/bundle-manifest';
import { importBundleFile } from '../../services/bundles/bundle-importer';
import { openBundleSource } from '../../services/bundles/bundle-source';
import { createBundle, type TargetInput } from '../../services/bundles/bundle-writer';
import { openKeyRing } from '../../services/bundles/key-ring';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Dispatches `bundle` subcommands. */
export async function runBundleCommand(context: CommandContext): Promise<number> {
  const [sub, ...args] = context.args;
  switch (sub) {
    case 'create':
      return create(context, args);
    case 'inspect':
      return inspect(context, args);
    case 'verify':
      return verify(context, args);
    default:
      throw new DeckhandError(
        'usage',
        `Use "deckhand bundle create", "deckhand bundle inspect FILE.dhb" or "deckhand bundle verify FILE.dhb --root ROOT.json"${sub ? ` (not "${sub}")` : ''}.`,
      );
  }
}

async function create(context: CommandContext, args: readonly string[]): Promise<number> {
  const now = new Date();
  const { targets: flagTargets, rest } = parseTargetGroups(args, now);
  const { values } = parseCommandArgs(
    rest,
    {
      keys: { type: 'string' },
      out: { type: 'string' },
      expires: { type: 'string' },
      manifest: { type: 'string' },
    },
    false,
  );
  if (!values.keys || !values.out)
    throw new DeckhandError('usage', 'deckhand bundle create needs --keys DIR and --out FILE.dhb.');
  const targets: TargetInput[] = [...flagTargets];
  let expiresText = values.expires;
  if (values.manifest) {
    const manifest = readManifest(values.manifest);
    targets.push(...manifest.targets);
    expiresText ??= manifest.expires;
  }
  const expires = new Date(now.getTime() + parseDuration(expiresText ?? '30d'));
  const ring = openKeyRing(values.keys, context.io.env['DECKHAND_KEY_PASSPHRASE'] || undefined);
  const created = await createBundle({ ring, targets, out: resolve(values.out), expires, now });
  if (context.json) {
    printJson(context.io, {
      ok: true,
      out: created.out,
      version: created.version,
      expires: created.expires,
      rootVersion: ring.rootVersion,
      bytes: created.bytes,
      targets: created.targets.map((t) => ({
        path: t.path,
        length: t.length,
        sha256: t.sha256,
        kind: t.custom.kind,
      })),
    });
  } else {
    context.io.stdout.write(
      `Wrote ${created.out} (${formatBytes(created.bytes)}), version ${created.version}, expires ${formatDay(created.expires)}:\n`,
    );
    for (const t of created.targets)
      context.io.stdout.write(
        `  ${t.custom.kind.padEnd(8)} ${t.path}  ${formatBytes(t.length)}  ${t.sha256.slice(0, 16)}…\n`,
      );
  }
  return EXIT.ok;
}

async function inspect(context: CommandContext, args: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {});
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new DeckhandError('usage', 'deckhand bundle inspect needs one FILE.dhb.');
  const source = await openBundleSource(resolve(file));
  const summary = summariseMetadata(source.metadata);
  if (context.json) {
    printJson(context.io, { ok: true, verified: false, layout: source.layout, ...summary });
    return EXIT.ok;
  }
  const out = context.io.stdout;
  out.write(
    `${source.path} (${source.layout}) — not verified; use "deckhand bundle verify" or import to check signatures.\n\nMetadata:\n`,
  );
  for (const role of summary.roles) {
    out.write(
      `  ${role.file.padEnd(20)} ${role.type.padEnd(10)} v${role.version}  expires ${formatDay(role.expires)}  signed by ${role.keyIds.map((k) => k.slice(0, 12)).join(', ')}\n`,
    );
  }
  out.write('\nTargets:\n');
  for (const t of summary.targets) {
    out.write(
      `  ${t.kind.padEnd(8)} ${t.name} ${t.version}  [${t.hardware.join(', ')}]  ${formatBytes(t.length)}  (${t.role})\n`,
    );
  }
  for (const problem of summary.problems) context.io.stderr.write(`unreadable: ${problem}\n`);
  return EXIT.ok;
}

async function verify(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { root: { type: 'string' } });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1 || !values.root)
    throw new DeckhandError('usage', 'deckhand bundle verify needs FILE.dhb and --root ROOT.json.');
  let document: JsonObject;
  try {
    document = parseCanonical(readFileSync(values.root), 'root.json');
  } catch (error) {
    if (error instanceof DeckhandError) throw error;
    throw new DeckhandError('not_found', `There is no file at ${values.root}.`);
  }
  const root = parseSelfSignedRoot(document, 'the root file');
  const now = new Date();
  const result = await importBundleFile({
    path: resolve(file),
    state: initialTrustState(document, root.signed.version, now),
    now,
    blobs: null,
  });
  const { metadata } = result;
  if (context.json) {
    printJson(context.io, {
      ok: true,
      bundleId: metadata.bundleId,
      rootVersion: metadata.rootVersion,
      expires: metadata.expires,
      roles: metadata.roles,
      targets: metadata.targets.map((t) => ({
        path: t.path,
        length: t.length,
        sha256: t.sha256,
        role: t.role,
        ...t.custom,
      })),
    });
  } else {
    context.io.stdout.write(
      `Verified: ${metadata.targets.length} targets, every byte hashed; root version ${metadata.rootVersion}; expires ${formatDay(metadata.expires)}.\n`,
    );
    for (const role of metadata.roles)
      context.io.stdout.write(
        `  ${role.role.padEnd(10)} v${role.version}  signed by ${role.signers.join(', ')}\n`,
      );
  }
  return EXIT.ok;
}
