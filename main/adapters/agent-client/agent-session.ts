/**
 * The Deckhand agent as a deploy-engine DeviceSession (tcp:// and serial://): every capability, with
 * uploads resumed by (sha256, offset), the device verifying HQ's signatures itself, and signed
 * receipts for install, commit and rollback. A reboot that takes the link down (a real device) is
 * waited out by reconnecting with the same pin until the device answers again.
 */
import { isAgentUri, type AgentUri, type DeviceUri } from '../../../core/device-uri/device-uri';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import type { DeviceStatus, SlotName } from '../../../core/protocol/messages';
import { DeckhandError, toErrorData } from '../../../core/result';
import type {
  Capability,
  ConnectContext,
  DeployTarget,
  DeviceConnector,
  DeviceSession,
  DeviceSnapshot,
  InstalledItem,
  StepOutcome,
} from '../../services/deploy/device-session';
import type { AgentClient } from './agent-client';
import { connectAgent, type ConnectOptions } from './agent-connection';

const AGENT_CAPABILITIES: ReadonlySet<Capability> = new Set([
  'upload',
  'resume',
  'verify',
  'install',
  'reboot',
  'health',
  'commit',
  'rollback',
  'diagnostics',
]);

/** Tuning of agent sessions. */
export interface AgentConnectorOptions {
  readonly clientVersion?: string;
  /** How long a rebooting device may stay silent (default 120 s). */
  readonly rebootTimeoutMs?: number;
  /** Extra connect options (tests shorten timeouts). */
  readonly connect?: Partial<ConnectOptions>;
}

/** Opens agent sessions for tcp:// and serial:// addresses. */
export class AgentConnector implements DeviceConnector {
  readonly schemes = ['tcp', 'serial'] as const;
  readonly #options: AgentConnectorOptions;

  constructor(options: AgentConnectorOptions = {}) {
    this.#options = options;
  }

  async connect(uri: DeviceUri, context: ConnectContext): Promise<DeviceSession> {
    if (!isAgentUri(uri))
      throw new DeckhandError('not_supported', `${uri.uri} is not a Deckhand agent address.`);
    const open = (): Promise<AgentClient> =>
      connectAgent(uri, {
        fingerprint: context.pinnedFingerprint,
        clientVersion: this.#options.clientVersion ?? '0',
        ...(context.timeoutMs === undefined ? {} : { timeoutMs: context.timeoutMs }),
        ...this.#options.connect,
      });
    return new AgentSession(uri, await open(), open, this.#options.rebootTimeoutMs ?? 120_000);
  }
}

/** One connection to an agent, reopened across reboots. */
class AgentSession implements DeviceSession {
  readonly capabilities = AGENT_CAPABILITIES;
  readonly uri: string;
  #client: AgentClient;
  readonly #open: () => Promise<AgentClient>;
  readonly #rebootTimeoutMs: number;

  constructor(uri: AgentUri, client: AgentClient, open: () => Promise<AgentClient>, rebootTimeoutMs: number) {
    this.uri = uri.uri;
    this.#client = client;
    this.#open = open;
    this.#rebootTimeoutMs = rebootTimeoutMs;
  }

  get fingerprint(): string | null {
    return this.#client.fingerprint;
  }

  async snapshot(): Promise<DeviceSnapshot> {
    const status = await this.#client.status();
    const identity = this.#client.hello.identity;
    return {
      hardware: identity.hardware,
      serialNumber: identity.serialNumber,
      freeBytes: status.freeBytes,
      counter: status.counter,
      releases: releasesOf(status),
      models: status.models.map((m) => ({
        name: m.name,
        version: m.version,
        sha256: m.sha256,
        state: 'active',
      })),
      trial: status.trial,
    };
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    const abort = (): void => this.#client.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await this.#client.upload(target.filePath, { sha256: target.sha256, length: target.length, meter });
    } catch (error) {
      if (signal.aborted) throw new DeckhandError('cancelled', 'The upload was cancelled.');
      throw error;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async verify(target: DeployTarget): Promise<StepOutcome> {
    const verified = await this.#client.verify(target.path, target.metadata);
    return {
      receipt: null,
      detail: `The device verified ${verified.name} ${verified.version} against HQ's signatures.`,
    };
  }

  async install(target: DeployTarget): Promise<StepOutcome> {
    const installed = await this.#client.install(target.path, target.metadata);
    return {
      receipt: installed.receipt,
      detail:
        installed.slot === null
          ? `Model ${target.name} ${target.version} is in place.`
          : `Installed into slot ${installed.slot}.`,
    };
  }

  async reboot(signal: AbortSignal): Promise<StepOutcome> {
    const { pending } = await this.#client.activate();
    let booted: SlotName | null = null;
    try {
      const result = await this.#client.reboot();
      booted = result.booted;
    } catch (error) {
      if (toErrorData(error).code !== 'link_lost' && toErrorData(error).code !== 'timeout') throw error;
    }
    // A real reboot drops the link: wait until the device answers again.
    const status = await this.#statusAfterReboot(signal);
    booted = status.booted;
    if (booted !== pending)
      throw new DeckhandError(
        'invalid_state',
        `The device booted slot ${booted ?? 'none'} instead of the new slot ${pending}; it kept its previous release.`,
      );
    return { receipt: null, detail: `Rebooted into slot ${pending} on trial.` };
  }

  async health(target: DeployTarget): Promise<{ healthy: boolean; detail: string }> {
    return this.#client.health(target.kind === 'model' ? target.name : undefined);
  }

  async commit(target: DeployTarget): Promise<StepOutcome> {
    if (target.kind === 'model')
      return {
        receipt: null,
        detail: `Model ${target.name} ${target.version} is active (models need no commit).`,
      };
    const committed = await this.#client.commit();
    return { receipt: committed.receipt, detail: `Slot ${committed.slot} committed.` };
  }

  async rollback(reason: string, target?: DeployTarget): Promise<StepOutcome> {
    const rolled = await this.#client.rollback(target?.kind === 'model' ? target.name : undefined);
    return {
      receipt: rolled.receipt,
      detail: `Rolled back (${reason}); the device runs ${rolled.slot === null ? 'its previous model' : `slot ${rolled.slot}`}.`,
    };
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  async #statusAfterReboot(signal: AbortSignal): Promise<DeviceStatus> {
    const deadline = Date.now() + this.#rebootTimeoutMs;
    for (;;) {
      try {
        return await this.#client.status();
      } catch (error) {
        const code = toErrorData(error).code;
        if (code !== 'link_lost' && code !== 'timeout' && code !== 'cancelled') throw error;
      }
      this.#client.close();
      for (;;) {
        if (signal.aborted)
          throw new DeckhandError('cancelled', 'Cancelled while waiting for the device to come back.');
        if (Date.now() > deadline)
          throw new DeckhandError(
            'no_reconnect',
            `The device did not come back within ${Math.round(this.#rebootTimeoutMs / 1000)} s after rebooting. It returns to its previous release at its next boot unless the new one is committed.`,
          );
        try {
          this.#client = await this.#open();
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    }
  }
}

/** Maps A/B slots to installed releases: booted+confirmed = active, booted on trial = trial. */
function releasesOf(status: DeviceStatus): InstalledItem[] {
  const items: InstalledItem[] = [];
  for (const slot of ['a', 'b'] as const) {
    const release = status.slots[slot];
    if (release === null) continue;
    const state: InstalledItem['state'] =
      status.booted === slot ? (status.trial ? 'trial' : 'active') : 'inactive';
    items.push({ name: release.name, version: release.version, sha256: release.sha256, state });
  }
  return items;
}
