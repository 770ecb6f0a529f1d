/**
 * The deploy engine: runs one target on many devices at once. Per device: connect → read its real
 * state → transfer → device verify → install → reboot (releases) → health → commit, or automatic
 * rollback when health fails. Failures stay per device; transient link errors reconnect with backoff
 * and resume the upload where the device stopped. Cancel stops at safe points (a device on trial is
 * rolled back, never left half-way). Every step is an event in the deploy log, with the device's
 * signed receipt where it makes one, and the run is persisted so that after the app is killed the
 * run resumes from what each device reports, never from what the laptop assumed.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { parseDeviceUri, type DeviceUri } from '../../../core/device-uri/device-uri';
import type { JsonValue } from '../../../core/eventlog/canonical-json';
import { ProgressMeter, type ProgressRecord } from '../../../core/progress/progress-meter';
import { DeckhandError, toErrorData, type AppErrorData, type ErrorCode } from '../../../core/result';
import type { DeployStore, DeviceUpdate } from '../../db/deploy-store';
import type { DeployRunView, DeployStep, DeployTargetView } from '../../ipc/deploy-types';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import type {
  DeployTarget,
  DeviceConnector,
  DeviceSession,
  DeviceSnapshot,
  StepOutcome,
} from './device-session';

/** Resolves a stored target (bytes, metadata) for a run. */
export type TargetResolver = (view: DeployTargetView) => DeployTarget;

/** What the engine needs. */
export interface DeployEngineDeps {
  readonly store: DeployStore;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly connectors: readonly DeviceConnector[];
  readonly resolveTarget: TargetResolver;
  /** The pinned fingerprint of a device, or null when none is kept. */
  readonly pinOf: (uri: string) => string | null;
  /** The site this laptop is at (goes into outcome events for HQ's per-site DORA). */
  readonly site?: string | null;
  readonly clock?: () => Date;
  /** Connection attempts per step for link errors (default 6) and the first backoff (default 250 ms). */
  readonly retry?: { readonly attempts?: number; readonly baseDelayMs?: number };
  readonly connectTimeoutMs?: number;
}

/** A request to run a target on devices. */
export interface DeployRequest {
  readonly target: DeployTargetView;
  readonly devices: readonly string[];
  /** Devices worked on at once (default: all; one at a time per serial port regardless). */
  readonly concurrency?: number;
}

interface LiveRun {
  readonly abort: AbortController;
  readonly progress: Map<string, ProgressRecord>;
  readonly done: Promise<DeployRunView>;
}

/** Codes after which reconnecting and repeating the step may help. */
const TRANSIENT: readonly ErrorCode[] = ['link_lost', 'timeout'];

/** Schemes that must be pinned before anything is sent to them. */
const PINNED_SCHEMES: ReadonlySet<DeviceUri['scheme']> = new Set(['tcp', 'ssh']);

/** Runs deploys and keeps their state. */
export class DeployEngine {
  readonly #deps: DeployEngineDeps;
  readonly #live = new Map<string, LiveRun>();
  readonly #links = new Set<DeviceLink>();
  readonly #clock: () => Date;
  #closed = false;

  constructor(deps: DeployEngineDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /** Opens a session to a device, checking its pin; used by planning as well as by runs. */
  async connect(uri: string, signal?: AbortSignal): Promise<DeviceSession> {
    const parsed = parseDeviceUri(uri);
    if (!parsed.ok) throw new DeckhandError(parsed.error.code, parsed.error.message);
    const connector = this.#deps.connectors.find((c) => c.schemes.includes(parsed.value.scheme));
    if (connector === undefined)
      throw new DeckhandError(
        'not_supported',
        `Deckhand has no adapter for ${parsed.value.scheme}:// devices here.`,
      );
    const pinned = this.#deps.pinOf(parsed.value.uri);
    if (pinned === null && PINNED_SCHEMES.has(parsed.value.scheme))
      throw new DeckhandError(
        'untrusted_device',
        `${parsed.value.uri} is not trusted yet. Confirm its fingerprint on the Devices screen (or with deckhand devices --device ${parsed.value.uri} --accept-new) before deploying to it.`,
      );
    return connector.connect(parsed.value, {
      pinnedFingerprint: pinned,
      ...(signal ? { signal } : {}),
      ...(this.#deps.connectTimeoutMs === undefined ? {} : { timeoutMs: this.#deps.connectTimeoutMs }),
    });
  }

  /** Runs (and past runs), newest first, with live progress for running ones. */
  list(limit = 50): DeployRunView[] {
    return this.#deps.store.list(limit).map((run) => this.#withProgress(run));
  }

  /** One run. */
  get(runId: string): DeployRunView {
    const run = this.#deps.store.get(runId);
    if (run === undefined) throw new DeckhandError('not_found', `There is no deploy run ${runId}.`);
    return this.#withProgress(run);
  }

  /** Starts a run in the background; returns it as created. `finished(id)` waits for its end. */
  start(request: DeployRequest): DeployRunView {
    const devices = [...new Set(request.devices)];
    if (devices.length === 0)
      throw new DeckhandError('invalid_input', 'Choose at least one device to deploy to.');
    const id = randomUUID();
    const concurrency = Math.max(1, request.concurrency ?? devices.length);
    this.#deps.store.createRun({ id, at: this.#clock(), target: request.target, concurrency, devices });
    this.#record('deploy.started', null, {
      runId: id,
      ...targetFacts(request.target),
      devices,
      concurrency,
    });
    this.#launch(this.#deps.store.get(id) as DeployRunView);
    return this.get(id);
  }

  /** Waits until a run ends and returns its final state. */
  async finished(runId: string): Promise<DeployRunView> {
    const live = this.#live.get(runId);
    return live ? live.done : this.get(runId);
  }

  /** Asks a run to stop at the next safe point; false when it is not running. */
  cancel(runId: string): boolean {
    const live = this.#live.get(runId);
    if (live === undefined) return false;
    live.abort.abort();
    return true;
  }

  /** Starts a new run of the same target on the devices of `runId` that did not commit. */
  retry(runId: string): DeployRunView {
    const run = this.get(runId);
    const devices = run.devices
      .filter((d) => d.outcome === 'failed' || d.outcome === 'rolled_back' || d.outcome === 'cancelled')
      .map((d) => d.device);
    if (devices.length === 0)
      throw new DeckhandError(
        'invalid_state',
        'Every device of that run committed or was refused; there is nothing to retry.',
      );
    return this.start({ target: run.target, devices, concurrency: run.concurrency });
  }

  /**
   * Resumes the runs the app did not see to the end (it was killed or closed mid-run). Each
   * unfinished device's state is read from the device itself before anything else is done.
   */
  resumeUnfinished(): DeployRunView[] {
    const runs = this.#deps.store.unfinished().filter((run) => !this.#live.has(run.id));
    for (const run of runs) {
      this.#record('deploy.resumed', null, {
        runId: run.id,
        devices: run.devices
          .filter((d) => d.outcome === 'pending' || d.outcome === 'running')
          .map((d) => d.device),
      });
      this.#launch(run);
    }
    return runs.map((run) => this.get(run.id));
  }

  /**
   * Rolls a device back on the technician's request: a release on trial returns to the confirmed
   * slot; a model returns to the one it replaced.
   */
  async rollbackDevice(uri: string, target: DeployTargetView | null, reason: string): Promise<StepOutcome> {
    const session = await this.connect(uri);
    try {
      const resolved = target === null ? undefined : this.#deps.resolveTarget(target);
      const outcome = await session.rollback(reason, resolved);
      this.#record('deploy.rolled_back', uri, {
        ...(target ? targetFacts(target) : {}),
        reason,
        requested: true,
        afterInstall: true,
        detail: outcome.detail,
        receipt: outcome.receipt as unknown as JsonValue,
      });
      return outcome;
    } finally {
      await session.close();
    }
  }

  /**
   * Detaches from live runs when the host shuts down: nothing more is written and devices are left
   * as they are, exactly as if the app had been killed, so the next start resumes each run from the
   * devices' real state.
   */
  close(): void {
    this.#closed = true;
    for (const run of this.#live.values()) run.abort.abort();
    // Drop the connections as a killed process would: requests in flight are not waited for.
    for (const link of this.#links) void link.close();
  }

  #launch(run: DeployRunView): void {
    const abort = new AbortController();
    const progress = new Map<string, ProgressRecord>();
    const todo = run.devices
      .filter((d) => d.outcome === 'pending' || d.outcome === 'running')
      .map((d) => d.device);
    // Every device's current step listens for the cancel (a few listeners each, removed after the
    // step), so a large run legitimately passes Node's default warning threshold of 10.
    setMaxListeners(Math.max(10, todo.length * 4), abort.signal);
    const work = async (): Promise<DeployRunView> => {
      let target: DeployTarget | null = null;
      let resolveError: AppErrorData | null = null;
      try {
        target = this.#deps.resolveTarget(run.target);
      } catch (error) {
        resolveError = toErrorData(error);
      }
      await runLimited(todo, run.concurrency, serialKey, async (device) => {
        if (target === null) {
          this.#fail(run.id, run.target, device, 'queued', resolveError as AppErrorData, false);
          return;
        }
        await this.#runDevice(run.id, target, run.target, device, abort.signal, progress);
      });
      if (this.#closed) return run;
      const status = abort.signal.aborted ? 'cancelled' : 'finished';
      this.#deps.store.finishRun(run.id, status, this.#clock());
      const final = this.#deps.store.get(run.id) as DeployRunView;
      this.#record('deploy.finished', null, {
        runId: run.id,
        status,
        committed: final.devices.filter((d) => d.outcome === 'committed').length,
        rolledBack: final.devices.filter((d) => d.outcome === 'rolled_back').length,
        failed: final.devices.filter((d) => d.outcome === 'failed').length,
        cancelled: final.devices.filter((d) => d.outcome === 'cancelled').length,
      });
      this.#live.delete(run.id);
      this.#deps.events.emit('deploy.changed', { run: final });
      return final;
    };
    const done = work().catch((error: unknown) => {
      this.#live.delete(run.id);
      if (!this.#closed) throw error;
      return run;
    });
    this.#live.set(run.id, { abort, progress, done });
  }

  async #runDevice(
    runId: string,
    target: DeployTarget,
    view: DeployTargetView,
    device: string,
    signal: AbortSignal,
    progress: Map<string, ProgressRecord>,
  ): Promise<void> {
    const meter = new ProgressMeter({
      jobId: runId,
      device,
      totalBytes: target.length,
      emit: (record) => {
        progress.set(device, record);
        this.#deps.events.emit('progress', record);
      },
    });
    let step = 'connecting' as DeployStep;
    let installed = false;
    const set = (next: DeployStep, update: Partial<DeviceUpdate> = {}): void => {
      step = next;
      process.stderr.write(`STEP ${device.slice(-6)} ${next} ${performance.now().toFixed(0)}\n`);
      meter.step(next);
      this.#update(runId, device, { step: next, outcome: 'running', ...update });
    };
    const link = new DeviceLink(this, device, signal, this.#deps.retry);
    this.#links.add(link);
    try {
      set('connecting');
      const snapshot = await link.run((s) => s.snapshot());
      const state = whereIs(target, snapshot);
      if (state === 'committed') {
        meter.finish('done');
        this.#commitOutcome(
          runId,
          view,
          device,
          null,
          `${target.name} ${target.version} already runs confirmed on the device.`,
          true,
        );
        return;
      }
      const caps = link.capabilities;
      if (state !== 'trial') {
        if (signal.aborted) throw cancelled();
        set('transfer');
        await link.run((s) => s.upload(target, meter, signal));
        if (caps.has('verify')) {
          if (signal.aborted) throw cancelled();
          set('verify');
          const verified = await link.run((s) => s.verify(target));
          this.#record('deploy.verified', device, { runId, ...targetFacts(view), detail: verified.detail });
        }
        if (signal.aborted) throw cancelled();
        set('install');
        const outcome = caps.has('install') ? await link.run((s) => s.install(target, meter, signal)) : null;
        installed = true;
        this.#record('deploy.installed', device, {
          runId,
          ...targetFacts(view),
          detail: outcome?.detail ?? 'The upload is the install for this device.',
          receipt: (outcome?.receipt ?? null) as unknown as JsonValue,
        });
        if (target.kind === 'release' && caps.has('reboot')) {
          if (signal.aborted) throw cancelled();
          set('reboot');
          // Not retried: a reboot is not idempotent. The session waits for the device itself.
          const rebooted = await link.once((s) => s.reboot(signal));
          this.#record('deploy.rebooted', device, { runId, ...targetFacts(view), detail: rebooted.detail });
        }
      }
      installed = true;
      if (caps.has('health')) {
        set('health');
        const health = await link.run((s) => s.health(target));
        this.#record('deploy.health', device, { runId, ...targetFacts(view), ...health });
        if (!health.healthy) {
          await this.#rollback(
            runId,
            view,
            target,
            device,
            link,
            `The health check failed: ${health.detail}`,
          );
          return;
        }
      }
      if (signal.aborted) {
        await this.#rollback(
          runId,
          view,
          target,
          device,
          link,
          'The deploy was cancelled before the commit.',
          'cancelled',
        );
        return;
      }
      set('commit');
      const committed = caps.has('commit') ? await link.run((s) => s.commit(target)) : null;
      meter.finish('done');
      this.#commitOutcome(
        runId,
        view,
        device,
        committed?.receipt ?? null,
        committed?.detail ?? 'Installed.',
        false,
      );
    } catch (error) {
      if (this.#closed) return;
      const data = toErrorData(error);
      meter.finish(data.code === 'cancelled' ? 'cancelled' : 'failed');
      if (data.code === 'cancelled' && !installed) {
        this.#update(runId, device, {
          step,
          outcome: 'cancelled',
          errorCode: 'cancelled',
          reason: 'Cancelled before the device was changed.',
        });
        this.#record('deploy.cancelled', device, { runId, ...targetFacts(view), step });
      } else if (
        installed &&
        step !== 'reboot' &&
        link.capabilities.has('rollback') &&
        data.code !== 'no_reconnect'
      ) {
        await this.#rollback(runId, view, target, device, link, `${data.message} (during ${step})`).catch(
          (rollbackError: unknown) => this.#fail(runId, view, device, step, toErrorData(rollbackError), true),
        );
      } else {
        this.#fail(runId, view, device, step, data, installed);
      }
    } finally {
      this.#links.delete(link);
      await link.close();
    }
  }

  async #rollback(
    runId: string,
    view: DeployTargetView,
    target: DeployTarget,
    device: string,
    link: DeviceLink,
    reason: string,
    outcome: 'rolled_back' | 'cancelled' = 'rolled_back',
  ): Promise<void> {
    this.#update(runId, device, { step: 'rollback', outcome: 'running', reason });
    const rolled = link.capabilities.has('rollback')
      ? await link.run((s) => s.rollback(reason, target))
      : null;
    this.#update(runId, device, {
      step: 'done',
      outcome,
      errorCode: outcome === 'cancelled' ? 'cancelled' : 'health_failed',
      reason,
    });
    this.#record('deploy.rolled_back', device, {
      runId,
      ...targetFacts(view),
      site: this.#deps.site ?? null,
      reason,
      afterInstall: true,
      detail: rolled?.detail ?? 'The device has no rollback; it keeps what was installed.',
      receipt: (rolled?.receipt ?? null) as unknown as JsonValue,
    });
  }

  #commitOutcome(
    runId: string,
    view: DeployTargetView,
    device: string,
    receipt: StepOutcome['receipt'],
    detail: string,
    reconciled: boolean,
  ): void {
    process.stderr.write(`STEP ${device.slice(-6)} committed ${performance.now().toFixed(0)}\n`);
    this.#update(runId, device, { step: 'done', outcome: 'committed', reason: detail });
    this.#record('deploy.committed', device, {
      runId,
      ...targetFacts(view),
      site: this.#deps.site ?? null,
      detail,
      reconciled,
      receipt: receipt as unknown as JsonValue,
    });
  }

  #fail(
    runId: string,
    view: DeployTargetView,
    device: string,
    step: DeployStep,
    error: AppErrorData,
    afterInstall: boolean,
  ): void {
    this.#update(runId, device, { step, outcome: 'failed', errorCode: error.code, reason: error.message });
    this.#record('deploy.failed', device, {
      runId,
      ...targetFacts(view),
      site: this.#deps.site ?? null,
      step,
      code: error.code,
      reason: error.message,
      afterInstall,
    });
  }

  #update(runId: string, device: string, update: DeviceUpdate): void {
    if (this.#closed) return;
    this.#deps.store.updateDevice(runId, device, update, this.#clock());
    const run = this.#deps.store.get(runId);
    if (run) this.#deps.events.emit('deploy.changed', { run: this.#withProgress(run) });
  }

  #record(kind: string, device: string | null, payload: Record<string, JsonValue>): void {
    if (this.#closed) return;
    this.#deps.logs.record({ kind, device, payload });
  }

  #withProgress(run: DeployRunView): DeployRunView {
    const live = this.#live.get(run.id);
    if (live === undefined) return run;
    return {
      ...run,
      devices: run.devices.map((d) => ({ ...d, progress: live.progress.get(d.device) ?? null })),
    };
  }
}

/** A device's session that reconnects after link errors, with exponential backoff. */
class DeviceLink {
  readonly #engine: DeployEngine;
  readonly #uri: string;
  readonly #signal: AbortSignal;
  readonly #attempts: number;
  readonly #baseDelayMs: number;
  #session: DeviceSession | null = null;

  constructor(engine: DeployEngine, uri: string, signal: AbortSignal, retry: DeployEngineDeps['retry']) {
    this.#engine = engine;
    this.#uri = uri;
    this.#signal = signal;
    this.#attempts = retry?.attempts ?? 6;
    this.#baseDelayMs = retry?.baseDelayMs ?? 250;
  }

  get capabilities(): DeviceSession['capabilities'] {
    return this.#session?.capabilities ?? new Set();
  }

  /** Runs a step, reconnecting and repeating it after a transient link error. */
  async run<T>(step: (session: DeviceSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await step(await this.#open());
      } catch (error) {
        const code = toErrorData(error).code;
        if (!TRANSIENT.includes(code) || attempt >= this.#attempts || this.#signal.aborted) throw error;
        await this.close();
        await delay(this.#baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** Runs a step once (steps that must not be repeated blindly). */
  async once<T>(step: (session: DeviceSession) => Promise<T>): Promise<T> {
    return step(await this.#open());
  }

  async close(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    await session?.close().catch(() => undefined);
  }

  async #open(): Promise<DeviceSession> {
    this.#session ??= await this.#engine.connect(this.#uri, this.#signal);
    return this.#session;
  }
}

/** Where the target stands on the device: committed, on trial, or not there. */
function whereIs(target: DeployTarget, snapshot: DeviceSnapshot): 'committed' | 'trial' | 'absent' {
  const items = target.kind === 'model' ? snapshot.models : snapshot.releases;
  const item = items.find(
    (i) =>
      i.name === target.name &&
      i.version === target.version &&
      (i.sha256 === null || i.sha256 === target.sha256),
  );
  if (item === undefined || item.state === 'inactive') return 'absent';
  return item.state === 'active' ? 'committed' : 'trial';
}

/** Facts about the target that go into every deploy event (HQ computes DORA from them). */
function targetFacts(target: DeployTargetView): Record<string, JsonValue> {
  return {
    target: target.path,
    targetKind: target.kind,
    name: target.name,
    version: target.version,
    sha256: target.sha256,
    ...(target.createdAt ? { createdAt: target.createdAt } : {}),
  };
}

function cancelled(): DeckhandError {
  return new DeckhandError('cancelled', 'The deploy was cancelled.');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Devices that share a serial port (or USB bus address) queue behind each other. */
function serialKey(uri: string): string | null {
  const parsed = parseDeviceUri(uri);
  if (!parsed.ok) return null;
  return parsed.value.scheme === 'serial' || parsed.value.scheme === 'smp+serial' ? parsed.value.path : null;
}

/** Runs `work` over items with at most `limit` at once, and one at a time per non-null key. */
async function runLimited(
  items: readonly string[],
  limit: number,
  keyOf: (item: string) => string | null,
  work: (item: string) => Promise<void>,
): Promise<void> {
  const keyLocks = new Map<string, Promise<void>>();
  let running = 0;
  const waiters: (() => void)[] = [];
  const acquire = async (): Promise<void> => {
    if (running < limit) {
      running += 1;
      return;
    }
    await new Promise<void>((resolve) => waiters.push(resolve));
  };
  const release = (): void => {
    const next = waiters.shift();
    if (next) next();
    else running -= 1;
  };
  await Promise.all(
    items.map(async (item) => {
      const key = keyOf(item);
      const before = key === null ? Promise.resolve() : (keyLocks.get(key) ?? Promise.resolve());
      let unlock = (): void => {};
      if (key !== null)
        keyLocks.set(
          key,
          new Promise<void>((resolve) => {
            unlock = resolve;
          }),
        );
      await before;
      await acquire();
      try {
        await work(item);
      } finally {
        release();
        unlock();
      }
    }),
  );
}
