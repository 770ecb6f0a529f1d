/**
 * The `deckhand` command line: parses global flags, dispatches to a command module, and keeps the
 * contract of ARCHITECTURE.md (exit 0/1/2, results on stdout, progress on stderr, `--json` output).
 */
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DeckhandError } from '../../core/result';
import { resolveDataDir } from '../services/data-dir';
import { EXIT, reportFailure, type CliIo } from './cli-io';
import { runHostCommand } from './commands/host';
import { runLogsCommand } from './commands/logs';
import { runAgentCommand } from './commands/agent';
import { runDevicesCommand } from './commands/devices';
import { runDeployCommand } from './commands/deploy';
import { runDiagnoseCommand } from './commands/diagnose';
import { runDemoCommand } from './commands/demo';
import { runSyncCommand } from './commands/sync';
import { runHqCommand } from './commands/hq';
import { runBenchCommand } from './commands/bench';
import { runBundleCommand } from './commands/bundle';
import { runImportCommand } from './commands/import';
import { runKeysCommand } from './commands/keys';
import { runTrustCommand } from './commands/trust';

/** Context every command receives. */
export interface CommandContext {
  readonly io: CliIo;
  readonly dataDir: string;
  /** Whether --data-dir was given on the command line (the demo uses the folder only then). */
  readonly dataDirExplicit?: boolean;
  readonly json: boolean;
  readonly version: string;
  /** Arguments after the command name, global flags removed. */
  readonly args: readonly string[];
}

interface CommandSpec {
  readonly summary: string;
  readonly usage: string;
  readonly run: (context: CommandContext) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  keys: {
    summary: 'Create or rotate HQ signing keys for bundles (HQ only)',
    usage:
      'deckhand keys init --out DIR [--root-expires 365d]\n       deckhand keys rotate-root --keys DIR [--replace ROLE] [--root-expires 365d]\n       (DECKHAND_KEY_PASSPHRASE encrypts or opens the key files)',
    run: runKeysCommand,
  },
  bundle: {
    summary: 'Create a signed offline bundle (HQ), or inspect and verify one',
    usage:
      'deckhand bundle create --keys DIR --out FILE.dhb [--expires 30d] [--manifest bundle.yaml]\n         [--release PATH --name N --version V --hardware H[,H] --install METHOD]...\n         [--model PATH --name N --version V --hardware H]...\n         (after a target: --install-command CMD --install-health CMD --install-dest DIR; .raucb/.mender/.swu imply the method)\n       deckhand bundle inspect FILE.dhb [--json]\n       deckhand bundle verify FILE.dhb --root ROOT.json [--json]',
    run: runBundleCommand,
  },
  trust: {
    summary: "Pin the organisation's root that bundles are verified against",
    usage: 'deckhand trust pin ROOT.json\n       deckhand trust show [--json]',
    run: runTrustCommand,
  },
  import: {
    summary: 'Verify a bundle and copy it into this laptop',
    usage: 'deckhand import FILE.dhb [--json]',
    run: runImportCommand,
  },
  logs: {
    summary: 'List or verify the tamper-evident deploy log',
    usage:
      'deckhand logs list [--kind K] [--device D] [--limit N] [--json]\n       deckhand logs verify [--json]\n       deckhand logs export --out FILE.dhlog [--passphrase-file FILE]\n       deckhand logs checkpoint [--passphrase-file FILE]',
    run: runLogsCommand,
  },
  sync: {
    summary: 'Send the deploy log to HQ (enrols this laptop the first time)',
    usage:
      'deckhand sync [--hq https://HOST:PORT] [--name NAME] [--fingerprint SHA256] [--token T] [--passphrase-file FILE] [--json]\n       deckhand sync status [--probe] [--json]',
    run: runSyncCommand,
  },
  hq: {
    summary: 'Run the HQ service and its admin tools (import, revoke)',
    usage:
      'deckhand hq serve --listen HOST:PORT --db sqlite:PATH|postgres://… [--cert FILE --key FILE] [--enrol-token T]\n       deckhand hq import FILE.dhlog [--db URL]\n       deckhand hq revoke KEY_ID [--db URL]\n       deckhand hq technicians [--db URL]',
    run: runHqCommand,
  },
  bench: {
    summary: 'Measure throughput against a standard tool (deckhand bench NAME)',
    usage: "deckhand bench NAME [--json]   (NAME: sync, import; deckhand bench for each one's flags)",
    run: runBenchCommand,
  },
  agent: {
    summary: 'Run the device agent (on a device, or as a simulated device)',
    usage:
      'deckhand agent --state DIR --listen HOST:PORT [--serial PATH] [--hardware H] [--serial-number S]\n               [--trust ROOT.json] [--inference-listen HOST:PORT | --no-inference]\n               [--execution-provider auto|cpu|cuda|tensorrt] [--inference-threads N] [--json]',
    run: runAgentCommand,
  },
  devices: {
    summary: 'Identify devices and show their slots',
    usage:
      'deckhand devices --device URI [--device URI ...] [--accept-new | --trust-fingerprint FP] [--json]\n       (URI: tcp://HOST:PORT or serial:///dev/ttyUSB0)',
    run: runDevicesCommand,
  },
  deploy: {
    summary: 'Deploy a release or model from an imported bundle to devices',
    usage:
      'deckhand deploy --target NAME@VERSION --device URI [--device URI ...] [--concurrency N] [--site SITE] [--json]',
    run: runDeployCommand,
  },
  diagnose: {
    summary: 'Load-test a model on a device and judge it against its SLO',
    usage:
      'deckhand diagnose --device URI --model NAME [--concurrency 1,2,4,8 | --request-rate 50,100]\n                  [--duration 30s] [--on-device | --from-laptop] [--url OIP_URL] [--binary] [--json]\n       deckhand diagnose --url http://HOST:8000 --model NAME ...   (any Open Inference Protocol server)',
    run: runDiagnoseCommand,
  },
  demo: {
    summary: 'Try Deckhand without hardware: simulated devices, a demo bundle and the UI',
    usage:
      'deckhand demo [--devices N] [--port P] [--json]   (prints the UI link and each device URI; Ctrl+C stops and cleans up)',
    run: runDemoCommand,
  },
  host: {
    summary: 'Serve the Deckhand UI to a local browser (127.0.0.1 only)',
    usage: 'deckhand host [--port N] [--mdns]',
    run: runHostCommand,
  },
};

/** Flags every command accepts, wherever they appear on the line. */
interface GlobalFlags {
  dataDir?: string;
  json: boolean;
  help: boolean;
  version: boolean;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const version = readVersion();
  const json = argv.includes('--json');
  try {
    const { globals, rest } = splitGlobals(argv);
    if (globals.version) {
      io.stdout.write(`${version}\n`);
      return EXIT.ok;
    }
    const [name, ...args] = rest;
    if (name === undefined || name === 'help' || (globals.help && name === undefined)) {
      io.stdout.write(helpText(version));
      return name === undefined && !globals.help ? EXIT.usage : EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command)
      throw new DeckhandError('usage', `Unknown command "${name}". Run "deckhand --help" for the list.`);
    if (globals.help) {
      io.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
      return EXIT.ok;
    }
    const dataDir = resolveDataDir({ flag: globals.dataDir, env: io.env });
    return await command.run({
      io,
      dataDir,
      dataDirExplicit: globals.dataDir !== undefined,
      json,
      version,
      args,
    });
  } catch (thrown) {
    return reportFailure(io, json, thrown);
  }
}

/** Pulls the global flags out wherever they appear, leaving the command and its own arguments. */
function splitGlobals(argv: readonly string[]): { globals: GlobalFlags; rest: string[] } {
  const globals: GlobalFlags = { json: false, help: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '-h' || arg === '--help') globals.help = true;
    // After the command name, --version is the command's own flag (bundle create --version V).
    else if ((arg === '-v' || arg === '--version') && rest.length === 0) globals.version = true;
    else if (arg === '--json') globals.json = true;
    else if (arg === '--data-dir' || arg.startsWith('--data-dir=')) {
      const value = arg === '--data-dir' ? argv[++i] : arg.slice('--data-dir='.length);
      if (value === undefined || value === '') throw new DeckhandError('usage', '--data-dir needs a folder.');
      globals.dataDir = value;
    } else rest.push(arg);
  }
  return { globals, rest };
}

/** Parses a command's own flags; unknown flags or missing values are usage errors (exit 2). */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
  allowPositionals = true,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    throw new DeckhandError('usage', (error as Error).message);
  }
}

function helpText(version: string): string {
  const lines = Object.entries(COMMANDS).map(([name, spec]) => `  ${name.padEnd(10)} ${spec.summary}`);
  return [
    `Deckhand ${version}: deploy signed releases and models to edge devices offline.`,
    '',
    'Usage: deckhand <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Global options:',
    "  --data-dir DIR  data folder (default: DECKHAND_DATA_DIR, else the app's folder)",
    '  --json          print one JSON object on stdout',
    '  -h, --help      show help (also: deckhand <command> --help)',
    '  -v, --version   print the version',
    '',
    'Exit codes: 0 success, 1 failure, 2 usage error.',
    '',
  ].join('\n');
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
