/**
 * `deckhand bench diagnose [--concurrency 4] [--duration 5s] [--rounds 4] [--url URL --model NAME]`:
 * the accuracy check of the load generator. Against the same endpoint, with the same request body and
 * the same number of connections, Deckhand's measured throughput should be within ±5 % of
 * autocannon's (npm), measured in the same run. Without --url it starts a simulated device
 * (`deckhand agent` in its own process) with the generated `heavy` MLP installed (a model whose
 * inference, not the client, bounds throughput, as on a real device), and loads its inference
 * server. Rounds alternate which tool goes first, so drift in the machine's load favours neither.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import { runLoad } from '../../../core/diagnostics/load-generator';
import { loadPlanSchema, parseDuration, parseLevels } from '../../../core/diagnostics/load-plan';
import { encodeInferRequest } from '../../../core/diagnostics/oip-codec';
import { buildTestModel } from '../../../core/diagnostics/test-models';
import { targetCustomSchema } from '../../../core/bundle/target-info';
import { OipClient, syntheticInputs } from '../../../core/node-io/oip-client';
import { DeckhandError } from '../../../core/result';
import { connectAgent } from '../../adapters/agent-client/agent-connection';
import { createBundle } from '../../services/bundles/bundle-writer';
import { initKeyRing } from '../../services/bundles/key-ring';
import { provisionModels } from '../../services/diagnostics/model-provisioning';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** The tolerance the issue sets. */
export const ACCURACY_TOLERANCE = 0.05;

const DECKHAND_BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** The part of autocannon's result this bench reads. */
interface AutocannonResult {
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly duration: number;
  readonly latency: { readonly p50: number; readonly p99: number };
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

/** Runs the accuracy bench. */
export async function runDiagnoseBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      concurrency: { type: 'string', default: '4' },
      duration: { type: 'string', default: '5s' },
      rounds: { type: 'string', default: '4' },
      url: { type: 'string' },
      model: { type: 'string', default: 'heavy' },
    },
    false,
  );
  const concurrency = parseLevels(values.concurrency, '--concurrency')[0] as number;
  const durationMs = parseDuration(values.duration);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10)
    throw new DeckhandError('usage', '--rounds must be 1–10.');
  const log = (line: string): void => void context.io.stderr.write(`${line}\n`);
  const work = mkdtempSync(join(tmpdir(), 'deckhand-bench-diagnose-'));
  let agent: ChildProcess | null = null;
  try {
    let url = values.url;
    if (url === undefined) {
      log('Starting a simulated device with the heavy MLP test model…');
      const started = await startBenchAgent(work, context.version);
      agent = started.child;
      url = started.inferenceUrl;
    }
    const client = new OipClient(url, { maxSockets: concurrency });
    const metadata = await client.modelMetadata(values.model);
    const inputs = syntheticInputs(metadata.inputs);
    const message = encodeInferRequest(inputs, { binary: false });
    const inferUrl = `${url.replace(/\/$/, '')}/v2/models/${encodeURIComponent(values.model)}/infer`;
    const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
    const cannon = (seconds: number) =>
      autocannon({
        url: inferUrl,
        method: 'POST',
        connections: concurrency,
        pipelining: 1,
        duration: seconds,
        headers: { 'content-type': message.contentType },
        body: message.body,
      });
    // Warm the server (sessions, JIT) and both clients before either measures.
    const warmMs = Math.min(3000, durationMs);
    await runOurs(client, values.model, inputs, concurrency, warmMs);
    await cannon(warmMs / 1000);
    client.close();

    const ours: { throughput: number; p50Ms: number; p99Ms: number; errors: number }[] = [];
    const theirs: { throughput: number; p50Ms: number; p99Ms: number; errors: number }[] = [];
    const measureOurs = async () => {
      const oursClient = new OipClient(url, { maxSockets: concurrency });
      try {
        ours.push(await runOurs(oursClient, values.model, inputs, concurrency, durationMs));
      } finally {
        oursClient.close();
      }
    };
    const measureTheirs = async () => {
      const result = await cannon(durationMs / 1000);
      theirs.push({
        throughput: result['2xx'] / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        errors: result.non2xx + result.errors,
      });
    };
    for (let round = 1; round <= rounds; round += 1) {
      // Alternate who goes first, so a trend in the machine's load favours neither.
      if (round % 2 === 1) {
        await measureOurs();
        await measureTheirs();
      } else {
        await measureTheirs();
        await measureOurs();
      }
      const mine = ours.at(-1) as (typeof ours)[number];
      log(
        `round ${round}: Deckhand ${mine.throughput.toFixed(1)}/s, autocannon ${(theirs.at(-1)?.throughput ?? 0).toFixed(1)}/s`,
      );
    }
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const oursThroughput = mean(ours.map((r) => r.throughput));
    const baselineThroughput = mean(theirs.map((r) => r.throughput));
    // Each round's two measurements are adjacent in time; the median of their ratios cancels drift.
    const ratios = ours
      .map((r, i) => r.throughput / (theirs[i]?.throughput ?? Number.NaN))
      .sort((a, b) => a - b);
    const ratio =
      ratios.length % 2 === 1
        ? (ratios[(ratios.length - 1) / 2] as number)
        : ((ratios[ratios.length / 2 - 1] as number) + (ratios[ratios.length / 2] as number)) / 2;
    const withinTolerance = Math.abs(ratio - 1) <= ACCURACY_TOLERANCE;
    const report = {
      ok: true,
      bench: 'diagnose',
      endpoint: inferUrl,
      concurrency,
      durationMs,
      rounds,
      ours: { throughput: oursThroughput, rounds: ours },
      baseline: {
        tool: `autocannon (npm) -c ${concurrency} -p 1`,
        throughput: baselineThroughput,
        rounds: theirs,
      },
      ratio,
      roundRatios: ratios,
      tolerance: ACCURACY_TOLERANCE,
      withinTolerance,
    };
    if (context.json) printJson(context.io, report);
    else
      context.io.stdout.write(
        `Throughput at concurrency ${concurrency} on ${inferUrl}:\n  Deckhand    ${oursThroughput.toFixed(1)}/s\n  autocannon  ${baselineThroughput.toFixed(1)}/s\n  ratio       ${ratio.toFixed(3)} (${withinTolerance ? 'within' : 'OUTSIDE'} ±${ACCURACY_TOLERANCE * 100} %)\n`,
      );
    return withinTolerance ? EXIT.ok : EXIT.failure;
  } finally {
    agent?.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

/** Deckhand's measurement: exactly three windows after a short warm-up, throughput over them. */
async function runOurs(
  client: OipClient,
  model: string,
  inputs: ReturnType<typeof syntheticInputs>,
  concurrency: number,
  durationMs: number,
): Promise<{ throughput: number; p50Ms: number; p99Ms: number; errors: number }> {
  const plan = loadPlanSchema.parse({
    mode: 'concurrency',
    levels: [concurrency],
    warmupMs: 200,
    windowMs: Math.max(100, Math.round(durationMs / 3)),
    maxWindows: 3,
  });
  const result = await runLoad({
    plan,
    send: client.sender(model, inputs, { binary: false, timeoutMs: 30_000 }),
  });
  const level = result.levels[0];
  if (!level) throw new DeckhandError('internal', 'The load generator measured nothing.');
  return {
    throughput: level.throughput,
    p50Ms: level.latencyMs.p50,
    p99Ms: level.latencyMs.p99,
    errors: level.requests - level.successes,
  };
}

/** A `deckhand agent` process with the heavy test model installed; resolves with its inference URL. */
async function startBenchAgent(
  work: string,
  version: string,
): Promise<{ child: ChildProcess; inferenceUrl: string }> {
  const ring = initKeyRing(join(work, 'keys'), { rootExpires: new Date(Date.now() + 86_400_000) });
  const modelFile = join(work, 'heavy.onnx');
  writeFileSync(modelFile, buildTestModel('heavy'));
  const created = await createBundle({
    ring,
    out: join(work, 'bench.dhb'),
    expires: new Date(Date.now() + 86_400_000),
    targets: [
      {
        file: modelFile,
        custom: targetCustomSchema.parse({
          kind: 'model',
          name: 'heavy',
          version: '1.0.0',
          hardware: ['bench'],
        }),
      },
    ],
  });
  const child = spawn(
    process.execPath,
    [
      DECKHAND_BIN,
      'agent',
      '--state',
      join(work, 'device'),
      '--listen',
      '127.0.0.1:0',
      '--hardware',
      'bench',
      '--trust',
      join(ring.dir, 'root.json'),
      // One inference thread: the server, not the two clients, is what bounds throughput, and the
      // clients keep a core (on a real site they run on another machine).
      '--inference-threads',
      '1',
      '--json',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new DeckhandError('timeout', 'The bench agent did not start.')),
      30_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(text.slice(0, end));
      }
    });
    child.once('exit', () => reject(new DeckhandError('internal', 'The bench agent exited.')));
  });
  const started = JSON.parse(line) as { uri: string; fingerprint: string; inferenceUrl: string };
  const uri = parseAgentUri(started.uri);
  if (!uri.ok) throw new DeckhandError('internal', uri.error.message);
  const client = await connectAgent(uri.value, { fingerprint: started.fingerprint, clientVersion: version });
  try {
    await provisionModels(client, join(work, 'bench.dhb'), [
      { file: modelFile, target: created.targets[0] as never },
    ]);
  } finally {
    client.close();
  }
  return { child, inferenceUrl: started.inferenceUrl };
}
