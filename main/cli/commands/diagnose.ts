/**
 * `deckhand diagnose --device URI --model NAME [--concurrency 1,2,4,8 | --request-rate 50,100]
 * [--duration 30s] [--on-device | --from-laptop] [--url OIP_URL] [--binary] [--json]`: a load test of
 * a model with perf_analyzer's method, judged against the model's SLO from the imported bundle, and
 * recorded in the deploy log. Each window is printed on stderr as it closes; the result goes to
 * stdout. Exit 0 when the verdict passes (or the model has no SLO), 1 when it fails.
 * Without --device, --url loads any Open Inference Protocol server (Triton, KServe) from the laptop.
 */
import type { DiagnosticRun, Placement } from '../../../core/diagnostics/diagnostic-report';
import { parseDuration, parseLevels, planFor } from '../../../core/diagnostics/load-plan';
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Runs one diagnostic. */
export async function runDiagnoseCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    {
      device: { type: 'string' },
      model: { type: 'string' },
      concurrency: { type: 'string' },
      'request-rate': { type: 'string' },
      duration: { type: 'string', default: '30s' },
      'on-device': { type: 'boolean', default: false },
      'from-laptop': { type: 'boolean', default: false },
      url: { type: 'string' },
      binary: { type: 'boolean', default: false },
    },
    false,
  );
  if (values.model === undefined) throw new DeckhandError('usage', 'deckhand diagnose needs --model NAME.');
  if (values.device === undefined && values.url === undefined)
    throw new DeckhandError(
      'usage',
      'deckhand diagnose needs --device URI, or --url of an inference server.',
    );
  if (values['on-device'] && values['from-laptop'])
    throw new DeckhandError('usage', 'Choose one of --on-device and --from-laptop.');
  if (values.concurrency !== undefined && values['request-rate'] !== undefined)
    throw new DeckhandError('usage', 'Choose one of --concurrency and --request-rate.');
  const rate = values['request-rate'] !== undefined;
  const plan = planFor({
    mode: rate ? 'rate' : 'concurrency',
    levels: rate
      ? parseLevels(values['request-rate'] as string, '--request-rate')
      : parseLevels(values.concurrency ?? '1', '--concurrency'),
    durationMs: parseDuration(values.duration),
    binary: values.binary,
  });
  const placement: Placement = values['on-device']
    ? 'on-device'
    : values['from-laptop'] || values.device === undefined
      ? 'from-laptop'
      : defaultPlacement(values.device);

  const backend = openBackend({ dataDir: context.dataDir, host: 'cli', version: context.version });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const run = await backend.diagnostics.run(
      { device: values.device ?? null, url: values.url ?? null, model: values.model, plan, placement },
      {
        signal: abort.signal,
        onWindow: (w) =>
          context.io.stderr.write(
            `${w.mode} ${w.level} window ${w.index + 1}: ${w.throughput}/s p95 ${w.latencyMs.p95} ms, ${w.successes}/${w.requests} ok\n`,
          ),
      },
    );
    if (context.json) printJson(context.io, { ok: true, ...run });
    else context.io.stdout.write(describeRun(run));
    return run.verdict.status === 'fail' ? EXIT.failure : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    backend.close();
  }
}

/** TCP devices are loaded end to end from the laptop; serial ones can only run on the device. */
function defaultPlacement(device: string): Placement {
  const parsed = parseAgentUri(device);
  return parsed.ok && parsed.value.scheme === 'tcp' ? 'from-laptop' : 'on-device';
}

/** The human report. */
export function describeRun(run: DiagnosticRun): string {
  const lines = [
    `Model ${run.modelName}${run.modelVersion ? ` ${run.modelVersion}` : ''} at ${run.url} (${run.placement})`,
    '',
    `${run.plan.mode === 'rate' ? 'rate/s' : 'conc.'}  throughput/s   p50 ms   p90 ms   p95 ms   p99 ms   max ms  success  stable`,
  ];
  for (const l of run.levels)
    lines.push(
      [
        String(l.level).padStart(6),
        String(l.throughput).padStart(13),
        ...[l.latencyMs.p50, l.latencyMs.p90, l.latencyMs.p95, l.latencyMs.p99, l.latencyMs.max].map((v) =>
          String(v).padStart(8),
        ),
        `${(l.successRate * 100).toFixed(1)}%`.padStart(8),
        l.stable ? '   yes' : '    no',
      ].join(' '),
    );
  const errors = Object.entries(run.totals.errors).filter(([, n]) => n > 0);
  lines.push(
    '',
    `Requests ${run.totals.requests}, succeeded ${(run.totals.successRate * 100).toFixed(1)}%${errors.length ? ` (errors: ${errors.map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
  );
  const server = run.levels.at(-1)?.server;
  if (server)
    lines.push(
      `Server statistics (last level): ${server.inferenceCount} inferences, compute ${server.computeInferMeanMs ?? '-'} ms, request ${server.requestMeanMs ?? '-'} ms`,
    );
  lines.push(
    `Device statistics: ${run.samplerSource ?? 'not available from here'}${run.gpuMemoryMaxMb !== null ? `, GPU memory max ${run.gpuMemoryMaxMb} MB` : ''}`,
  );
  lines.push('', `Verdict: ${run.verdict.status.toUpperCase()}`);
  for (const check of run.verdict.checks)
    lines.push(
      `  ${check.status === 'pass' ? 'pass' : check.status === 'fail' ? 'FAIL' : 'n/a '}  ${check.summary}`,
    );
  if (run.verdict.status === 'no_slo')
    lines.push('  The model target carries no SLO, so nothing was judged.');
  return `${lines.join('\n')}\n`;
}
