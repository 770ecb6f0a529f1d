/**
 * The Diagnostics use cases: run a load test of a model on a device — on the device (the agent loads
 * its own inference server and the laptop polls the windows, which works over serial) or from the
 * laptop over the LAN (end to end) — or against any OIP server by URL; judge it against the model's
 * SLO from the imported bundle; record the run, its windows, the device's samples and the verdict in
 * the deploy log (so they sync to HQ); answer history and exports from the log.
 */
import { randomUUID } from 'node:crypto';
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import type {
  DiagnosticLevel,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
  LoadTestOutcome,
  Placement,
} from '../../../core/diagnostics/diagnostic-report';
import type { LoadPlan } from '../../../core/diagnostics/load-plan';
import { runOipLoadTest, type SampleReader } from '../../../core/node-io/oip-load-test';
import type { SampleSource, SystemSample } from '../../../core/diagnostics/system-sample';
import { judge, operatingPoint, type Slo } from '../../../core/diagnostics/verdict';
import type { JsonValue } from '../../../core/eventlog/canonical-json';
import type { DiagnosticsInfo, DiagnosticsPoll } from '../../../core/protocol/messages';
import { DeckhandError, toErrorData, type AppErrorData } from '../../../core/result';
import type { AgentClient } from '../../adapters/agent-client/agent-client';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';

/** Event kinds this feature writes to the deploy log. */
export const DIAGNOSTIC_EVENTS = {
  started: 'diagnostics.started',
  window: 'diagnostics.window',
  samples: 'diagnostics.samples',
  completed: 'diagnostics.completed',
  failed: 'diagnostics.failed',
} as const;

/** Samples of a run kept in the log (the rest are thinned out). */
const LOGGED_SAMPLES = 120;

/** What to diagnose. */
export interface DiagnoseRequest {
  /** Device URI (tcp:// or serial://); null with `url` for a bare OIP server. */
  readonly device: string | null;
  /** An OIP server URL (Triton, KServe, …); with a device, it overrides the agent's address. */
  readonly url?: string | null;
  readonly model: string;
  readonly plan: LoadPlan;
  readonly placement: Placement;
  readonly runId?: string;
}

/** Live updates while a run goes. */
export interface DiagnoseObserver {
  readonly onWindow?: (window: DiagnosticWindow) => void;
  readonly onLevel?: (level: DiagnosticLevel) => void;
  readonly signal?: AbortSignal;
}

/** What the service needs. */
export interface DiagnosticsServiceDeps {
  readonly logs: LogsService;
  readonly events: EventBus;
  /** Opens a session with a device, its certificate pinned. */
  readonly connect: (uri: string) => Promise<AgentClient>;
  /** The SLO of a model target from the imported bundles (by sha256 first, else name and version). */
  readonly findSlo: (model: { name: string; version: string | null; sha256: string | null }) => Slo | null;
  readonly clock?: () => Date;
  /** Poll period of on-device runs (default 500 ms). */
  readonly pollMs?: number;
}

/** Runs diagnostics and answers their history. */
export class DiagnosticsService {
  readonly #deps: DiagnosticsServiceDeps;
  readonly #running = new Map<string, AbortController>();

  constructor(deps: DiagnosticsServiceDeps) {
    this.#deps = deps;
  }

  /** The models a device serves and its inference server's address. */
  async deviceInfo(device: string): Promise<
    DiagnosticsInfo & {
      models: readonly { name: string; version: string; sha256: string; slo: Slo | null }[];
    }
  > {
    const client = await this.#deps.connect(device);
    try {
      const info = await this.#info(client);
      return {
        ...info,
        models: info.models.map((m) => ({
          ...m,
          slo: this.#deps.findSlo({ name: m.name, version: m.version, sha256: m.sha256 }),
        })),
      };
    } finally {
      client.close();
    }
  }

  /** Starts a run in the background; updates arrive as 'diagnostics.*' events. Returns its id. */
  start(request: DiagnoseRequest): string {
    const runId = request.runId ?? randomUUID();
    const abort = new AbortController();
    this.#running.set(runId, abort);
    void this.run(
      { ...request, runId },
      {
        signal: abort.signal,
        onWindow: (window) => this.#deps.events.emit('diagnostics.window', { runId, window }),
        onLevel: (level) => this.#deps.events.emit('diagnostics.level', { runId, level }),
      },
    )
      .then(
        (run) => this.#deps.events.emit('diagnostics.finished', { runId, run, error: null }),
        (error: unknown) => {
          const data = toErrorData(error);
          this.#deps.events.emit('diagnostics.finished', {
            runId,
            run: null,
            error: { code: data.code, message: data.message },
          });
        },
      )
      .finally(() => this.#running.delete(runId));
    return runId;
  }

  /** Stops a running diagnostic at the end of the current window. */
  cancel(runId: string): boolean {
    const abort = this.#running.get(runId);
    abort?.abort();
    return abort !== undefined;
  }

  /** Runs a diagnostic to the end and records it. Throws a coded error when it cannot run at all. */
  async run(request: DiagnoseRequest, observer: DiagnoseObserver = {}): Promise<DiagnosticRun> {
    const runId = request.runId ?? randomUUID();
    const startedAt = this.#now();
    const logDevice = request.device;
    let client: AgentClient | null = null;
    let info: DiagnosticsInfo | null = null;
    let url = request.url ?? null;
    let modelVersion: string | null = null;
    let sha256: string | null = null;
    const windows: DiagnosticWindow[] = [];
    const levels: DiagnosticLevel[] = [];
    const onWindow = (w: DiagnosticWindow): void => {
      windows.push(w);
      this.#deps.logs.record({
        kind: DIAGNOSTIC_EVENTS.window,
        device: logDevice,
        payload: json({ runId, ...w }),
      });
      observer.onWindow?.(w);
    };
    const onLevel = (l: DiagnosticLevel): void => {
      levels.push(l);
      observer.onLevel?.(l);
    };
    try {
      if (request.device !== null) {
        client = await this.#deps.connect(request.device);
        info = await this.#info(client);
        const installed = info.models.find((m) => m.name === request.model);
        if (!installed)
          throw new DeckhandError(
            'not_found',
            `${request.device} has no model ${request.model} installed${info.models.length > 0 ? ` (it has ${info.models.map((m) => m.name).join(', ')})` : ''}. Deploy it first.`,
          );
        modelVersion = installed.version;
        sha256 = installed.sha256;
        if (request.placement === 'from-laptop' && url === null) url = laptopUrl(request.device, info);
        if (request.placement === 'on-device' && info.inferenceUrl === null)
          throw new DeckhandError('not_supported', 'The agent on this device runs no inference server.');
      } else if (url === null) {
        throw new DeckhandError('usage', 'Name a device, or the URL of an inference server.');
      } else if (request.placement === 'on-device') {
        throw new DeckhandError('usage', 'A bare inference server URL can only be loaded from the laptop.');
      }
      this.#deps.logs.record({
        kind: DIAGNOSTIC_EVENTS.started,
        device: logDevice,
        payload: json({
          runId,
          model: request.model,
          modelVersion,
          placement: request.placement,
          url,
          plan: request.plan,
        }),
      });

      let outcome: LoadTestOutcome;
      if (request.placement === 'on-device') {
        if (client === null) throw new DeckhandError('usage', 'On-device diagnostics need a device.');
        outcome = await this.#onDevice(client, request, { ...observer, onWindow, onLevel });
        // The address the agent loaded, as the device sees it.
        url = info?.inferenceUrl ?? null;
      } else {
        // From the laptop, the device's samples still come from the device, fetched as the run goes.
        const remote =
          client !== null && info?.samplerSource ? new RemoteSamples(client, info.samplerSource) : null;
        remote?.start(this.#deps.pollMs ?? 500);
        try {
          outcome = await runOipLoadTest({
            url: url as string,
            model: request.model,
            plan: request.plan,
            sampler: remote,
            ...(observer.signal ? { signal: observer.signal } : {}),
            onWindow,
            onLevel,
          });
        } finally {
          await remote?.stop();
        }
      }
      const full: LoadTestOutcome = { ...outcome, windows, levels };
      const slo = this.#deps.findSlo({ name: request.model, version: modelVersion, sha256 });
      const gpuMemoryMaxMb = maxOrNull(windows.map((w) => w.system?.gpuMemoryMaxMb ?? null));
      const verdict = judge(
        slo,
        { levels, windows, totals: full.totals, cancelled: full.cancelled },
        gpuMemoryMaxMb,
      );
      const run: DiagnosticRun = {
        ...full,
        runId,
        device: request.device,
        url: url ?? '',
        placement: request.placement,
        modelName: request.model,
        modelVersion: modelVersion ?? full.model.versions[0] ?? null,
        plan: request.plan,
        startedAt,
        endedAt: this.#now(),
        slo,
        verdict,
        gpuMemoryMaxMb,
        samples: thin(full.samples, LOGGED_SAMPLES),
      };
      if (run.samples.length > 0)
        this.#deps.logs.record({
          kind: DIAGNOSTIC_EVENTS.samples,
          device: logDevice,
          payload: json({ runId, source: run.samplerSource, samples: run.samples }),
        });
      this.#deps.logs.record({ kind: DIAGNOSTIC_EVENTS.completed, device: logDevice, payload: json(run) });
      return run;
    } catch (error) {
      const data = toErrorData(error);
      this.#deps.logs.record({
        kind: DIAGNOSTIC_EVENTS.failed,
        device: logDevice,
        payload: json({
          runId,
          model: request.model,
          placement: request.placement,
          code: data.code,
          message: data.message,
        }),
      });
      throw error;
    } finally {
      client?.close();
    }
  }

  /** Finished runs, newest first (from the deploy log). */
  history(limit = 100): DiagnosticRunSummary[] {
    const page = this.#deps.logs.query({
      offset: 0,
      limit,
      kind: DIAGNOSTIC_EVENTS.completed,
      device: undefined,
    });
    return page.rows.map((row) => summaryOf(row.payload as DiagnosticRun));
  }

  /** One finished run, whole. */
  get(runId: string): DiagnosticRun {
    for (let offset = 0; ; offset += 200) {
      const page = this.#deps.logs.query({
        offset,
        limit: 200,
        kind: DIAGNOSTIC_EVENTS.completed,
        device: undefined,
      });
      const row = page.rows.find((r) => (r.payload as DiagnosticRun).runId === runId);
      if (row) return row.payload as DiagnosticRun;
      if (page.rows.length < 200) break;
    }
    throw new DeckhandError('not_found', `No finished diagnostic run ${runId} is in the log.`);
  }

  async #info(client: AgentClient): Promise<DiagnosticsInfo> {
    const info = await client.diagnostics({ action: 'info' });
    if (info.action !== 'info')
      throw new DeckhandError('protocol_error', 'The agent answered info with something else.');
    return info;
  }

  async #onDevice(
    client: AgentClient,
    request: DiagnoseRequest,
    observer: DiagnoseObserver,
  ): Promise<LoadTestOutcome> {
    const started = await client.diagnostics({ action: 'start', model: request.model, plan: request.plan });
    if (started.action !== 'start')
      throw new DeckhandError('protocol_error', 'The agent did not start the run.');
    const deviceRun = started.runId;
    let afterWindow = 0;
    let afterLevel = 0;
    let stopSent = false;
    for (;;) {
      if (observer.signal?.aborted && !stopSent) {
        stopSent = true;
        await client.diagnostics({ action: 'stop', runId: deviceRun }).catch(() => undefined);
      }
      const poll = (await client.diagnostics({
        action: 'poll',
        runId: deviceRun,
        afterWindow,
        afterLevel,
      })) as DiagnosticsPoll;
      for (const w of poll.windows) observer.onWindow?.(w);
      for (const l of poll.levels) observer.onLevel?.(l);
      afterWindow += poll.windows.length;
      afterLevel += poll.levels.length;
      if (poll.state === 'done' && poll.outcome) return poll.outcome;
      if (poll.state === 'failed') throw errorFrom(poll.error);
      if (poll.windows.length === 0)
        await new Promise((resolve) => setTimeout(resolve, this.#deps.pollMs ?? 500));
    }
  }

  #now(): string {
    return (this.#deps.clock?.() ?? new Date()).toISOString();
  }
}

/**
 * The device's GPU/system samples, polled over the device protocol while the laptop loads the
 * server, kept for the load test to join with its windows. The device's clock is taken as is.
 */
class RemoteSamples implements SampleReader {
  readonly source: SampleSource;
  readonly #client: AgentClient;
  readonly #samples: SystemSample[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #polling: Promise<void> = Promise.resolve();
  #since = Date.now() - 1000;

  constructor(client: AgentClient, source: SampleSource) {
    this.#client = client;
    this.source = source;
  }

  start(periodMs: number): void {
    this.#timer = setInterval(() => {
      this.#polling = this.#polling.then(() => this.#poll());
    }, periodMs);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#polling;
    await this.#poll();
  }

  samplesBetween(fromMs: number, toMs: number): SystemSample[] {
    return this.#samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  }

  async #poll(): Promise<void> {
    try {
      const answer = await this.#client.diagnostics({ action: 'samples', sinceMs: this.#since });
      if (answer.action !== 'samples') return;
      for (const sample of answer.samples)
        if (sample.atMs > this.#since) {
          this.#samples.push(sample);
          this.#since = sample.atMs;
        }
      if (this.#samples.length > 5000) this.#samples.splice(0, this.#samples.length - 5000);
    } catch {
      // Samples are a bonus: a missed poll leaves a gap, not a failed run.
    }
  }
}

/** The agent's inference server as the laptop reaches it: the device's host, the server's port. */
export function laptopUrl(device: string, info: DiagnosticsInfo): string {
  const parsed = parseAgentUri(device);
  if (!parsed.ok) throw new DeckhandError(parsed.error.code, parsed.error.message);
  if (parsed.value.scheme !== 'tcp')
    throw new DeckhandError(
      'not_supported',
      'Over a serial line the laptop cannot reach the inference server; run the diagnostic on the device (--on-device).',
    );
  if (info.inferencePort === null || info.inferenceUrl === null)
    throw new DeckhandError('not_supported', 'The agent on this device runs no inference server.');
  const bound = new URL(info.inferenceUrl).hostname.replace(/^\[|\]$/g, '');
  const host = parsed.value.host;
  if (
    (bound === '127.0.0.1' || bound === '::1') &&
    host !== '127.0.0.1' &&
    host !== 'localhost' &&
    host !== '::1'
  )
    throw new DeckhandError(
      'not_supported',
      "The device's inference server listens on its loopback only; run the diagnostic on the device (--on-device), or start the agent with --inference-listen 0.0.0.0:8000.",
    );
  return `http://${host.includes(':') ? `[${host}]` : host}:${info.inferencePort}`;
}

/** A history row of a run. */
export function summaryOf(run: DiagnosticRun): DiagnosticRunSummary {
  const point = operatingPoint(run.levels);
  return {
    runId: run.runId,
    device: run.device,
    modelName: run.modelName,
    modelVersion: run.modelVersion,
    placement: run.placement,
    startedAt: run.startedAt,
    verdict: run.verdict.status,
    throughput: point?.throughput ?? 0,
    p95Ms: point?.latencyMs.p95 ?? 0,
    successRate: run.totals.successRate,
  };
}

function errorFrom(error: AppErrorData | null): DeckhandError {
  return new DeckhandError(
    error?.code ?? 'internal',
    error?.message ?? 'The diagnostic failed on the device.',
  );
}

function maxOrNull(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)] as T);
}

/** A plain JSON copy (drops undefined, checks the payload is JSON). */
function json(value: unknown): { readonly [key: string]: JsonValue } {
  return JSON.parse(JSON.stringify(value)) as { readonly [key: string]: JsonValue };
}
