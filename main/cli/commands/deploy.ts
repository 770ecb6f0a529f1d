/**
 * `deckhand deploy --target NAME@VERSION --device URI [--device URI …] [--concurrency N] [--json]`:
 * plans the target for each device (refusals say why), runs the deploy engine, and reports each
 * device's outcome. Progress: one redrawn bar per device on a TTY (stderr), a line per step
 * otherwise; with --json, JSON lines on stdout (progress and device changes), the last line being
 * the result. Exit 1 when any device did not commit (already running it counts as committed).
 */
import { formatBytes } from '../../../core/bundle/human-format';
import type { ProgressRecord } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';
import type { DeployRunView } from '../../ipc/deploy-types';
import { openBackend } from '../../services/backend';
import { EXIT, printJson, type CliIo } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Runs one deploy to the end. */
export async function runDeployCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    {
      target: { type: 'string' },
      device: { type: 'string', multiple: true, default: [] },
      concurrency: { type: 'string' },
      site: { type: 'string' },
    },
    false,
  );
  if (values.target === undefined)
    throw new DeckhandError('usage', 'Name the target: deckhand deploy --target NAME@VERSION --device URI.');
  if (values.device.length === 0)
    throw new DeckhandError('usage', 'Name at least one device: --device tcp://HOST:PORT (repeat for more).');
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
    throw new DeckhandError('usage', '--concurrency must be a whole number of at least 1.');

  const backend = openBackend({
    dataDir: context.dataDir,
    host: 'cli',
    version: context.version,
    site: values.site ?? context.io.env['DECKHAND_SITE'] ?? null,
  });
  const { service, engine } = backend.deploy;
  const view = new DeployView(context.io, context.json);
  let runId: string | null = null;
  const unsubscribe = backend.events.subscribe((name, payload) => {
    if (name === 'progress') {
      const record = payload as ProgressRecord;
      if (record.jobId === runId) view.progress(record);
    } else if (name === 'deploy.changed') {
      const { run } = payload as { run: DeployRunView };
      if (run.id === runId) view.changed(run);
    }
  });
  const interrupt = (): void => {
    if (runId !== null) engine.cancel(runId);
  };
  process.once('SIGINT', interrupt);
  try {
    const target = service.findTarget(values.target);
    const plan = await service.plan(engine, target, values.device);
    const refused = plan.devices.filter((d) => d.action === 'refuse');
    const skipped = plan.devices.filter((d) => d.action === 'skip');
    const toRun = plan.devices.filter((d) => d.action === 'deploy').map((d) => d.device);
    for (const d of [...refused, ...skipped]) view.planned(d.device, d.action, d.code, d.reason);
    let run: DeployRunView | null = null;
    if (toRun.length > 0) {
      const started = engine.start({ target, devices: toRun, ...(concurrency ? { concurrency } : {}) });
      runId = started.id;
      run = await engine.finished(started.id);
    }
    view.end();
    const devices = [
      ...(run?.devices ?? []).map((d) => ({
        device: d.device,
        outcome: d.outcome,
        code: d.errorCode,
        reason: d.reason,
      })),
      ...skipped.map((d) => ({
        device: d.device,
        outcome: 'committed' as const,
        code: null,
        reason: d.reason,
      })),
      ...refused.map((d) => ({
        device: d.device,
        outcome: 'refused' as const,
        code: d.code,
        reason: d.reason,
      })),
    ];
    const allCommitted = devices.every((d) => d.outcome === 'committed');
    if (context.json)
      printJson(context.io, {
        ok: allCommitted,
        runId: run?.id ?? null,
        target: { name: target.name, version: target.version, kind: target.kind, path: target.path },
        devices,
        ...(allCommitted
          ? {}
          : { error: { code: 'deploy_incomplete', message: 'Not every device committed.' } }),
      });
    else {
      context.io.stdout.write(`${target.name} ${target.version}:\n`);
      for (const d of devices)
        context.io.stdout.write(
          `  ${d.device}  ${d.outcome}${d.reason ? `: ${d.reason}` : ''}${d.code && d.outcome !== 'committed' ? ` [${d.code}]` : ''}\n`,
        );
      const count = (o: string) => devices.filter((d) => d.outcome === o).length;
      context.io.stdout.write(
        `${count('committed')} committed, ${count('rolled_back')} rolled back, ${count('failed')} failed, ${count('refused')} refused, ${count('cancelled')} cancelled.\n`,
      );
    }
    return allCommitted ? EXIT.ok : EXIT.failure;
  } finally {
    view.end();
    process.removeListener('SIGINT', interrupt);
    unsubscribe();
    backend.close();
  }
}

/** Progress output: bars on a TTY, step lines otherwise, JSON lines with --json. */
class DeployView {
  readonly #io: CliIo;
  readonly #json: boolean;
  readonly #tty: boolean;
  readonly #records = new Map<string, ProgressRecord>();
  readonly #steps = new Map<string, string>();
  #drawnLines = 0;
  #lastDraw = 0;

  constructor(io: CliIo, json: boolean) {
    this.#io = io;
    this.#json = json;
    this.#tty = io.stderr.isTTY === true;
  }

  planned(device: string, action: string, code: string | null, reason: string | null): void {
    if (this.#json) printJson(this.#io, { event: 'planned', device, action, code, reason });
    else
      this.#io.stderr.write(
        `${device}: ${action === 'skip' ? 'skipped' : 'refused'}: ${reason ?? code ?? ''}\n`,
      );
  }

  progress(record: ProgressRecord): void {
    const device = record.device ?? '?';
    this.#records.set(device, record);
    if (this.#json) {
      printJson(this.#io, { event: 'progress', ...record });
      return;
    }
    if (this.#tty) {
      const now = Date.now();
      if (now - this.#lastDraw >= 250 || record.percent === 100) this.#draw();
      return;
    }
    if (this.#steps.get(device) !== record.step) {
      this.#steps.set(device, record.step);
      this.#io.stderr.write(`${device}: ${record.step}\n`);
    }
  }

  changed(run: DeployRunView): void {
    if (this.#json)
      for (const d of run.devices)
        if (
          d.outcome !== 'running' &&
          d.outcome !== 'pending' &&
          this.#steps.get(`done:${d.device}`) !== d.outcome
        ) {
          this.#steps.set(`done:${d.device}`, d.outcome);
          printJson(this.#io, {
            event: 'device',
            device: d.device,
            outcome: d.outcome,
            code: d.errorCode,
            reason: d.reason,
          });
        }
  }

  end(): void {
    if (this.#tty && this.#drawnLines > 0) this.#draw();
    this.#drawnLines = 0;
  }

  #draw(): void {
    this.#lastDraw = Date.now();
    const up = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}A` : '';
    const lines = [...this.#records].map(([device, r]) => {
      const width = 24;
      const filled = r.percent === null ? 0 : Math.round((r.percent / 100) * width);
      const speed = r.bytesPerSec > 0 ? ` ${formatBytes(r.bytesPerSec)}/s` : '';
      const eta = r.etaSec === null || r.step !== 'transfer' ? '' : ` ETA ${Math.ceil(r.etaSec)} s`;
      return `\r${device.padEnd(28)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${r.step.padEnd(10)}${speed}${eta}\x1b[K`;
    });
    this.#io.stderr.write(`${up}${lines.join('\n')}\n`);
    this.#drawnLines = lines.length;
  }
}
