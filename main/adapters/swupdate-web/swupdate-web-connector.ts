/**
 * Devices that run SWUpdate with its web server (swupdate://host:port). SWUpdate installs a .swu as
 * it streams in and checks its CMS signature and hashes itself, so `upload` sends the file (progress
 * from bytes written) and `install` waits for SWUpdate's verdict on its websocket (progress from its
 * step messages). The web API reports no installed versions, has no commit or rollback, and `reboot`
 * (POST /restart, which runs the daemon's `-p` post-update command) is declared only when the
 * connector is told the devices have one.
 */
import type { DeviceUri } from '../../../core/device-uri/device-uri';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError, type ErrorCode } from '../../../core/result';
import type {
  Capability,
  ConnectContext,
  DeployTarget,
  DeviceConnector,
  DeviceSession,
  DeviceSnapshot,
  StepOutcome,
} from '../../services/deploy/device-session';
import {
  postRestart,
  SwupdateWebEvents,
  uploadSwu,
  webServerAnswers,
  type SwupdateWebResult,
  type UploadSwuResult,
} from './swupdate-web-client';

/** Settings of the SWUpdate web connector. */
export interface SwupdateWebConnectorOptions {
  /**
   * The hardware model of the devices as HQ's targets name it. SWUpdate's web API does not say (the
   * daemon itself checks each image's hardware-compatibility against its -H or /etc/hwrevision);
   * without it the planner refuses these devices rather than guess.
   */
  readonly hardware?: string;
  /** The devices' SWUpdate runs a post-update command that reboots (`swupdate -p`): declare `reboot`. */
  readonly restartReboots?: boolean;
  /** How long a rebooting device may stay silent (default 180 s). */
  readonly rebootTimeoutMs?: number;
  /** How long SWUpdate may take to install after the last byte arrived (default 30 min). */
  readonly installTimeoutMs?: number;
}

/**
 * Connector settings from the environment: DECKHAND_SWUPDATE_HARDWARE (the devices' hardware model)
 * and DECKHAND_SWUPDATE_RESTART_REBOOTS=1 (their `swupdate -p` command reboots them).
 */
export function swupdateWebOptionsFromEnv(env: NodeJS.ProcessEnv): SwupdateWebConnectorOptions {
  const hardware = env['DECKHAND_SWUPDATE_HARDWARE']?.trim() ?? '';
  return {
    ...(hardware === '' ? {} : { hardware }),
    restartReboots: env['DECKHAND_SWUPDATE_RESTART_REBOOTS'] === '1',
  };
}

/** Opens sessions to SWUpdate's web server. */
export class SwupdateWebConnector implements DeviceConnector {
  readonly schemes = ['swupdate'] as const;
  readonly #options: SwupdateWebConnectorOptions;

  constructor(options: SwupdateWebConnectorOptions = {}) {
    this.#options = options;
  }

  async connect(uri: DeviceUri, context: ConnectContext): Promise<DeviceSession> {
    if (uri.scheme !== 'swupdate')
      throw new DeckhandError(
        'not_supported',
        `${uri.uri} is not a SWUpdate web address (swupdate://HOST:PORT).`,
      );
    const events = await SwupdateWebEvents.open(uri.host, uri.port, context.timeoutMs ?? 10_000);
    return new SwupdateWebSession(uri, events, this.#options);
  }
}

/** The code a refused install deserves, from SWUpdate's error messages. */
export function swupdateWebErrorCode(errors: readonly string[]): ErrorCode {
  const text = errors.join('\n');
  if (/signature|verify|certificate|CMS/i.test(text)) return 'bad_signature';
  if (/hardware|hwrevision|Compatible SW not found/i.test(text)) return 'incompatible_hardware';
  return 'bad_target';
}

/** One websocket connection to a SWUpdate daemon. */
class SwupdateWebSession implements DeviceSession {
  readonly uri: string;
  readonly capabilities: ReadonlySet<Capability>;
  readonly fingerprint = null;
  readonly #host: string;
  readonly #port: number;
  readonly #events: SwupdateWebEvents;
  readonly #options: SwupdateWebConnectorOptions;
  /** The verdict of the last upload, with its step percentages, for `install` to wait on. */
  #pending: {
    readonly sha256: string;
    readonly result: Promise<SwupdateWebResult>;
    readonly cancel: () => void;
    percent: number;
    onPercent: ((percent: number) => void) | null;
  } | null = null;

  constructor(
    uri: Extract<DeviceUri, { scheme: 'swupdate' }>,
    events: SwupdateWebEvents,
    options: SwupdateWebConnectorOptions,
  ) {
    this.uri = uri.uri;
    this.#host = uri.host;
    this.#port = uri.port;
    this.#events = events;
    this.#options = options;
    const capabilities: Capability[] = ['upload', 'install'];
    if (options.restartReboots === true) capabilities.push('reboot');
    this.capabilities = new Set(capabilities);
  }

  snapshot(): Promise<DeviceSnapshot> {
    // SWUpdate's web API tells nothing about the device or what it runs.
    return Promise.resolve({
      hardware: this.#options.hardware ?? null,
      serialNumber: null,
      freeBytes: null,
      counter: null,
      releases: [],
      models: [],
      trial: false,
    });
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    this.#pending?.cancel();
    const pending = {
      sha256: target.sha256,
      percent: 0,
      onPercent: null as ((percent: number) => void) | null,
      ...this.#events.nextResult(({ index, total, percent }) => {
        const overall = Math.floor(((index - 1) * 100 + percent) / total);
        if (overall <= pending.percent) return;
        pending.percent = overall;
        pending.onPercent?.(overall);
      }),
    };
    // A refused image may end the install before the upload has finished: the verdict is read then.
    pending.result.catch(() => {});
    this.#pending = pending;
    let sent: UploadSwuResult;
    try {
      sent = await uploadSwu(this.#host, this.#port, target.filePath, {
        onBytes: (bytes) => meter.advance(bytes),
        signal,
      });
    } catch (error) {
      pending.cancel();
      this.#pending = null;
      throw error;
    }
    if (sent.complete) return;
    // SWUpdate drops the connection when it refuses an image mid-stream: report its reason.
    const verdict = await Promise.race([
      pending.result.catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000)),
    ]);
    pending.cancel();
    this.#pending = null;
    if (verdict !== null && verdict.outcome === 'failure') throw this.#refused(target, verdict);
    throw new DeckhandError(
      'link_lost',
      `The upload to ${this.uri} broke off after ${meter.bytes} of ${target.length} bytes. Check the network and deploy again.`,
    );
  }

  verify(): Promise<StepOutcome> {
    return Promise.reject(
      new DeckhandError(
        'not_supported',
        'SWUpdate checks the image while it installs it; there is no separate verify step.',
      ),
    );
  }

  async install(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<StepOutcome> {
    const pending = this.#pending;
    if (pending === null || pending.sha256 !== target.sha256)
      throw new DeckhandError(
        'invalid_state',
        `SWUpdate installs while the image streams in; upload ${target.name} ${target.version} again to install it.`,
      );
    let reportedBytes = 0;
    const report = (percent: number): void => {
      const bytes = Math.floor((target.length * percent) / 100);
      if (bytes > reportedBytes) meter.advance(bytes - reportedBytes);
      reportedBytes = Math.max(reportedBytes, bytes);
    };
    report(pending.percent);
    pending.onPercent = report;
    const timeoutMs = this.#options.installTimeoutMs ?? 30 * 60_000;
    let timer: NodeJS.Timeout | undefined;
    let onAbort = (): void => {};
    try {
      const verdict = await Promise.race([
        pending.result,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new DeckhandError(
                  'timeout',
                  `SWUpdate gave no verdict within ${Math.round(timeoutMs / 60_000)} min.`,
                ),
              ),
            timeoutMs,
          );
          onAbort = () =>
            reject(
              new DeckhandError(
                'cancelled',
                'Waiting for SWUpdate was cancelled; it may still be installing.',
              ),
            );
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      ]);
      if (verdict.outcome === 'failure') throw this.#refused(target, verdict);
      report(100);
      return { receipt: null, detail: `SWUpdate installed ${target.name} ${target.version}.` };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      pending.onPercent = null;
      if (this.#pending === pending) this.#pending = null;
    }
  }

  async reboot(signal: AbortSignal): Promise<StepOutcome> {
    if (!this.capabilities.has('reboot'))
      throw new DeckhandError(
        'not_supported',
        'This SWUpdate device has no post-update command that reboots it.',
      );
    await postRestart(this.#host, this.#port, 10_000);
    const deadline = Date.now() + (this.#options.rebootTimeoutMs ?? 180_000);
    // Give the device time to go down before asking whether it is back.
    await delay(1000, signal);
    while (!(await webServerAnswers(this.#host, this.#port, 3000))) {
      if (Date.now() > deadline)
        throw new DeckhandError(
          'timeout',
          `${this.uri} did not answer again after the restart. Check the device's console.`,
        );
      await delay(1000, signal);
    }
    return {
      receipt: null,
      detail: 'SWUpdate ran its post-update command and its web server answers again.',
    };
  }

  health(): Promise<{ readonly healthy: boolean; readonly detail: string }> {
    return Promise.reject(new DeckhandError('not_supported', "SWUpdate's web API has no health check."));
  }

  commit(): Promise<StepOutcome> {
    return Promise.reject(new DeckhandError('not_supported', 'SWUpdate has no commit step of its own.'));
  }

  rollback(): Promise<StepOutcome> {
    return Promise.reject(new DeckhandError('not_supported', 'SWUpdate has no rollback of its own.'));
  }

  close(): Promise<void> {
    this.#pending?.cancel();
    this.#pending = null;
    this.#events.close();
    return Promise.resolve();
  }

  #refused(target: DeployTarget, verdict: SwupdateWebResult): DeckhandError {
    const why = verdict.errors.length > 0 ? verdict.errors.join('; ') : 'it gave no reason';
    return new DeckhandError(
      swupdateWebErrorCode(verdict.errors),
      `SWUpdate on ${this.uri} refused ${target.name} ${target.version}: ${why}. Check the .swu's signature and hardware compatibility.`,
    );
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new DeckhandError('cancelled', 'Cancelled.'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new DeckhandError('cancelled', 'Cancelled while waiting for the device.'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
