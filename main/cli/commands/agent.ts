/**
 * `deckhand agent`: runs the device agent (on a device, or as a simulated device on the laptop).
 * Prints one line on stdout once it listens (JSON with --json: address, certificate fingerprint and
 * the inference server's URL; --inference-listen HOST:PORT fixes its address, --no-inference turns it off),
 * logs on stderr, and runs until SIGINT or SIGTERM.
 */
import { runAgent } from '../../../agent/run-agent';
import { DeckhandError } from '../../../core/result';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Runs the agent until a signal stops it. */
export async function runAgentCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    {
      state: { type: 'string' },
      listen: { type: 'string' },
      serial: { type: 'string' },
      hardware: { type: 'string', default: 'sim-x86_64' },
      'serial-number': { type: 'string' },
      trust: { type: 'string' },
      advertise: { type: 'boolean' },
      'no-advertise': { type: 'boolean' },
      'inference-listen': { type: 'string' },
      'no-inference': { type: 'boolean' },
      'execution-provider': { type: 'string' },
      'inference-threads': { type: 'string' },
    },
    false,
  );
  if (values.state === undefined) throw new DeckhandError('usage', 'deckhand agent needs --state DIR.');
  if (values.listen === undefined && values.serial === undefined)
    throw new DeckhandError('usage', 'deckhand agent needs --listen HOST:PORT, --serial PATH, or both.');
  const running = await runAgent({
    stateDir: values.state,
    ...(values.listen === undefined ? {} : { listen: values.listen }),
    ...(values.serial === undefined ? {} : { serialPath: values.serial }),
    hardware: values.hardware,
    serialNumber: values['serial-number'] ?? 'SIM-0001',
    ...(values.trust === undefined ? {} : { trustRoot: values.trust }),
    ...(values.advertise || values['no-advertise'] ? { advertise: values.advertise === true } : {}),
    ...(values['no-inference']
      ? { inferenceListen: false as const }
      : values['inference-listen'] === undefined
        ? {}
        : { inferenceListen: values['inference-listen'] }),
    inference: {
      ...(values['execution-provider'] === undefined
        ? {}
        : { executionProvider: executionProvider(values['execution-provider']) }),
      ...(values['inference-threads'] === undefined
        ? {}
        : { intraOpNumThreads: inferenceThreads(values['inference-threads']) }),
    },
    onLog: (line) => context.io.stderr.write(`${line}\n`),
  });
  const identity = running.agent.identity();
  const uri = running.address ? `tcp://${running.address.host}:${running.address.port}` : null;
  if (context.json) {
    printJson(context.io, {
      ok: true,
      uri,
      serial: values.serial ?? null,
      fingerprint: running.fingerprint,
      serialNumber: identity.serialNumber,
      hardware: identity.hardware,
      inferenceUrl: running.inferenceUrl,
    });
  } else {
    context.io.stdout.write(
      `Agent ${identity.serialNumber} (${identity.hardware}) on ${[uri, values.serial].filter(Boolean).join(' and ')}\nCertificate fingerprint: ${running.fingerprint}\n${running.inferenceUrl ? `Inference server: ${running.inferenceUrl}\n` : ''}`,
    );
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return EXIT.ok;
}

function executionProvider(text: string): 'auto' | 'cpu' | 'cuda' | 'tensorrt' {
  if (text === 'auto' || text === 'cpu' || text === 'cuda' || text === 'tensorrt') return text;
  throw new DeckhandError('usage', `--execution-provider is auto, cpu, cuda or tensorrt, not "${text}".`);
}

function inferenceThreads(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new DeckhandError('usage', `--inference-threads is a whole number from 1 to 256, not "${text}".`);
  return n;
}
