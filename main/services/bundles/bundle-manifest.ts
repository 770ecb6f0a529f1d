/**
 * The targets of `deckhand bundle create`: from a YAML manifest (many targets, full custom
 * metadata) or from repeated `--release/--model` flag groups. Every target is validated against the
 * same schema the laptop checks on import, so HQ finds mistakes before a technician does.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { targetCustomSchema } from '../../../core/bundle/target-info';
import { DeckhandError } from '../../../core/result';
import type { TargetInput } from './bundle-writer';

/** A manifest file: optional expiry, and targets each naming a file relative to the manifest. */
const manifestSchema = z
  .object({
    expires: z.string().optional(),
    targets: z.array(z.object({ file: z.string().min(1) }).passthrough()).min(1),
  })
  .strict();

/** Reads a manifest; returns its targets and its expiry, if it sets one. */
export function readManifest(file: string): { targets: TargetInput[]; expires?: string } {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DeckhandError('invalid_input', `${file} is not readable YAML: ${(error as Error).message}`);
  }
  const manifest = manifestSchema.safeParse(data);
  if (!manifest.success) throw invalidManifest(file, manifest.error);
  const targets = manifest.data.targets.map((entry, index) => {
    const { file: targetFile, ...rest } = entry;
    const custom = targetCustomSchema.safeParse(rest);
    if (!custom.success) throw invalidManifest(`${file}, target ${index + 1}`, custom.error);
    return { file: resolve(dirname(file), targetFile), custom: custom.data };
  });
  return manifest.data.expires === undefined ? { targets } : { targets, expires: manifest.data.expires };
}

/** Flags that start a target group, and the kind they give it. */
const GROUP_STARTS: Readonly<Record<string, 'release' | 'model' | 'policy'>> = {
  '--release': 'release',
  '--model': 'model',
  '--policy': 'policy',
};

/** Flags that belong to the current group. */
const GROUP_FLAGS = [
  '--name',
  '--version',
  '--hardware',
  '--install',
  '--install-command',
  '--install-health',
  '--install-dest',
  '--release-counter',
  '--source-commit',
] as const;

/**
 * Splits `bundle create` arguments into target groups (`--release PATH --name N --version V
 * --hardware H[,H] --install METHOD [--install-command CMD] [--install-health CMD]
 * [--install-dest DIR]`, `--model PATH …`) and the remaining arguments. A .raucb, .mender or .swu
 * file without --install gets rauc, mender or swupdate.
 */
export function parseTargetGroups(
  args: readonly string[],
  now: Date,
): { targets: TargetInput[]; rest: string[] } {
  const targets: TargetInput[] = [];
  const rest: string[] = [];
  let group: { kind: 'release' | 'model' | 'policy'; file: string; values: Map<string, string> } | null =
    null;
  const close = (): void => {
    if (group === null) return;
    const values = group.values;
    const counter = values.get('--release-counter');
    const custom = targetCustomSchema.safeParse({
      kind: group.kind,
      name: values.get('--name'),
      version: values.get('--version'),
      hardware: (values.get('--hardware') ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
      ...installOf(group.file, values),
      ...(counter !== undefined ? { releaseCounter: Number(counter) } : {}),
      ...(values.has('--source-commit') ? { sourceCommit: values.get('--source-commit') } : {}),
      createdAt: now.toISOString(),
    });
    if (!custom.success) {
      throw new DeckhandError(
        'usage',
        `--${group.kind} ${group.file}: ${custom.error.issues.map((issue) => `${issue.path.join('.') || 'value'} ${issue.message}`).join('; ')} (each target needs --name and --version; --hardware lists compatible models).`,
      );
    }
    targets.push({ file: resolve(group.file), custom: custom.data });
    group = null;
  };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    const kind = GROUP_STARTS[arg];
    if (kind !== undefined) {
      close();
      const file = args[++i];
      if (file === undefined || file.startsWith('--'))
        throw new DeckhandError('usage', `${arg} needs a file.`);
      group = { kind, file, values: new Map() };
    } else if ((GROUP_FLAGS as readonly string[]).includes(arg)) {
      if (group === null)
        throw new DeckhandError('usage', `${arg} must follow a --release, --model or --policy file.`);
      const value = args[++i];
      if (value === undefined) throw new DeckhandError('usage', `${arg} needs a value.`);
      if (group.values.has(arg)) throw new DeckhandError('usage', `${arg} given twice for ${group.file}.`);
      group.values.set(arg, value);
    } else rest.push(arg);
  }
  close();
  return { targets, rest };
}

/** Install methods implied by a vendor artifact's extension, when --install is not given. */
const METHOD_BY_EXTENSION: Readonly<Record<string, string>> = {
  raucb: 'rauc',
  mender: 'mender',
  swu: 'swupdate',
};

/** Install parameters from flags: `--install-command`, `--install-health`, `--install-dest`. */
const PARAM_FLAGS: Readonly<Record<string, string>> = {
  '--install-command': 'command',
  '--install-health': 'health',
  '--install-dest': 'dest',
};

function installOf(
  file: string,
  values: ReadonlyMap<string, string>,
): { install?: { method: string; params?: Record<string, string> } } {
  const params: Record<string, string> = {};
  for (const [flag, key] of Object.entries(PARAM_FLAGS)) {
    const value = values.get(flag);
    if (value !== undefined) params[key] = value;
  }
  const method = values.get('--install') ?? METHOD_BY_EXTENSION[file.split('.').at(-1)?.toLowerCase() ?? ''];
  if (method === undefined) {
    if (Object.keys(params).length > 0)
      throw new DeckhandError(
        'usage',
        `${file}: --install-command, --install-health and --install-dest need --install METHOD.`,
      );
    return {};
  }
  return { install: Object.keys(params).length > 0 ? { method, params } : { method } };
}

/** Parses a duration such as `30d`, `12h`, `2w`, `90m` into milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  if (!match) throw new DeckhandError('usage', `"${text}" is not a duration; use e.g. 30d, 12h, 2w or 90m.`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new DeckhandError('usage', 'The expiry must be in the future.');
  return ms;
}

function invalidManifest(where: string, error: z.ZodError): DeckhandError {
  return new DeckhandError(
    'invalid_input',
    `${where}: ${error.issues.map((issue) => `${issue.path.join('.') || 'value'} ${issue.message}`).join('; ')}`,
  );
}
