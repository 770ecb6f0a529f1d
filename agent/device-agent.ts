/**
 * The device side of every verb: identity, status, resumable uploads, verification against the
 * pinned org root, installs into the inactive slot, activation, reboot, health, commit and rollback,
 * with signed receipts. Transports (TLS, serial) hand each session's requests to `createSession`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import {
  PROTOCOL_VERSIONS,
  isVerb,
  verbParams,
  type DeviceIdentity,
  type DeviceStatus,
  type Receipt,
  type SignedReceipt,
  type VerbResults,
  type VerifiedTarget,
} from '../core/protocol/messages';
import type { RequestHandler } from '../core/protocol/rpc-peer';
import { DeckhandError, assertNever } from '../core/result';
import { defaultHealth, type AgentHooks } from './agent-hooks';
import { AgentLog } from './agent-log';
import type { OnDeviceDiagnostics } from './diagnostics/on-device-diagnostics';
import * as slots from './boot-state';
import { loadOrCreateDeviceKey, type DeviceKey } from './device-key';
import { ReceiptLog, signReceipt } from './receipts';
import {
  cleanStaging,
  currentModels,
  fillerFor,
  installIntoSlot,
  installModel,
  modelFile,
  restoreModel,
  slotDir,
} from './slot-installer';
import { openTargetVerifier, type TargetVerifier } from './target-verifier';
import { UploadStore, freeBytes, hashFile } from './upload-store';

/** What a device agent is started with. */
export interface DeviceAgentOptions {
  readonly stateDir: string;
  readonly hardware: string;
  readonly serialNumber: string;
  /** Path of the org's root.json, pinned at first start. */
  readonly trustRoot?: string;
  readonly hooks?: AgentHooks;
  /** Echo of log lines (the CLI prints them on stderr). */
  readonly onLog?: (line: string) => void;
  readonly now?: () => Date;
}

/** One device's agent state and verbs. */
export class DeviceAgent {
  readonly key: DeviceKey;
  readonly log: AgentLog;
  readonly #o: DeviceAgentOptions;
  readonly #bootFile: slots.BootStateFile;
  readonly #uploads: UploadStore;
  readonly #verifier: TargetVerifier;
  readonly #receipts: ReceiptLog;
  readonly #version: string;
  #state: slots.BootState;
  #health: { healthy: boolean; detail: string } | null = null;
  #exclusive: Promise<unknown> = Promise.resolve();
  #diagnostics: OnDeviceDiagnostics | null = null;

  /** Opens the state folder and boots: a slot on trial at the last stop is reverted (MCUboot). */
  constructor(options: DeviceAgentOptions) {
    this.#o = options;
    const { stateDir } = options;
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.log = new AgentLog(stateDir, options.onLog);
    this.key = loadOrCreateDeviceKey(stateDir, `deckhand-${options.serialNumber}`);
    this.#bootFile = new slots.BootStateFile(stateDir);
    this.#uploads = new UploadStore(stateDir);
    this.#verifier = openTargetVerifier(stateDir, options.trustRoot);
    this.#receipts = new ReceiptLog(stateDir);
    this.#version = agentVersion();
    cleanStaging(stateDir);
    this.#state = this.#bootFile.load();
    this.#applyBoot('the device restarted while a release was on trial, without a commit');
  }

  /** Serves the diagnostics verb with the agent's inference server (run-agent.ts attaches it). */
  attachDiagnostics(diagnostics: OnDeviceDiagnostics | null): void {
    this.#diagnostics = diagnostics;
  }

  /** Identity as reported by hello and identify. */
  identity(): DeviceIdentity {
    return {
      hardware: this.#o.hardware,
      serialNumber: this.#o.serialNumber,
      publicKey: this.key.publicKeyBase64,
      certificateFingerprint: this.key.fingerprint,
      agentVersion: this.#version,
      protocolVersions: [...PROTOCOL_VERSIONS],
      freeBytes: freeBytes(this.#o.stateDir),
      trustRootPinned: this.#verifier.pinned,
    };
  }

  /** Slot and boot state. */
  status(): DeviceStatus {
    const s = this.#state;
    return {
      booted: s.booted,
      confirmed: s.confirmed,
      pending: s.pending,
      trial: s.trial,
      bootCount: s.bootCount,
      slots: s.slots,
      counter: s.counter,
      models: currentModels(this.#o.stateDir),
      health: this.#health,
      freeBytes: freeBytes(this.#o.stateDir),
      receipts: this.#receipts.latest(10),
    };
  }

  /** Releases open files (uploads in progress keep theirs open between chunks). */
  async close(): Promise<void> {
    await this.#uploads.close();
  }

  /**
   * A request handler for one connection: hello first, then any verb. `onVersion` hears the version
   * hello negotiated (the connection tunes its framing to it).
   */
  createSession(onVersion?: (version: number) => void): RequestHandler {
    let version: number | null = null;
    return async (verb, rawParams, body) => {
      if (!isVerb(verb))
        throw new DeckhandError('unknown_verb', `The agent does not know the verb "${verb.slice(0, 64)}".`);
      const parsed = verbParams[verb].safeParse(rawParams ?? {});
      if (!parsed.success) {
        throw new DeckhandError('invalid_input', `The parameters of "${verb}" are not valid.`, {
          issues: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.')}: ${i.message}`),
        });
      }
      if (verb === 'hello') {
        const params = parsed.data as (typeof verbParams)['hello']['_output'];
        const common = PROTOCOL_VERSIONS.filter((v) => params.versions.includes(v));
        if (common.length === 0) {
          throw new DeckhandError(
            'version_mismatch',
            `The agent speaks protocol versions ${PROTOCOL_VERSIONS.join(', ')}; this laptop speaks ${params.versions.join(', ')}. Update one of them.`,
          );
        }
        version = Math.max(...common);
        onVersion?.(version);
        this.log.info(`hello from ${params.client.name} ${params.client.version} (protocol ${version})`);
        return { version, identity: this.identity() } satisfies VerbResults['hello'];
      }
      if (version === null)
        throw new DeckhandError(
          'protocol_error',
          'Say hello first: the session has not negotiated a version.',
        );
      return this.#dispatch(verb, parsed.data, body);
    };
  }

  async #dispatch(
    verb: Exclude<keyof typeof verbParams, 'hello'>,
    params: unknown,
    body: Buffer,
  ): Promise<unknown> {
    switch (verb) {
      case 'identify':
        return this.identity();
      case 'status':
        return this.status();
      case 'ping':
        return {};
      case 'upload.begin': {
        const p = params as (typeof verbParams)['upload.begin']['_output'];
        return this.#uploads.begin(p.sha256, p.length);
      }
      case 'upload.resume':
        return this.#uploads.resume((params as { sha256: string }).sha256);
      case 'upload.data': {
        const p = params as (typeof verbParams)['upload.data']['_output'];
        return this.#uploads.write(p.sha256, p.offset, body);
      }
      case 'upload.end': {
        const result = await this.#uploads.end((params as { sha256: string }).sha256);
        this.log.info(`received ${result.sha256} (${result.length} bytes)`);
        return result;
      }
      case 'verify': {
        const p = params as (typeof verbParams)['verify']['_output'];
        const { target } = this.#verifier.verify(p.metadata, p.target, this.#now());
        await this.#checkBlob(target);
        return target;
      }
      case 'install':
        return this.#serialised(() => this.#install(params as (typeof verbParams)['install']['_output']));
      case 'activate':
        return this.#serialised(async () => {
          const { state, slot } = slots.activate(this.#state);
          this.#save(state);
          this.log.info(`slot ${slot} marked to test at the next boot`);
          return { pending: slot } satisfies VerbResults['activate'];
        });
      case 'reboot':
        return this.#serialised(() => this.#reboot());
      case 'health':
        return this.#serialised(async () => {
          const model = (params as (typeof verbParams)['health']['_output']).model;
          if (model !== undefined) return this.#modelHealth(model);
          const booted = this.#state.booted;
          const context = {
            slot: booted,
            slotDir: booted === null ? null : slotDir(this.#o.stateDir, booted),
          };
          this.#health = await (this.#o.hooks?.health ?? defaultHealth)(context);
          this.log.info(`health: ${this.#health.healthy ? 'healthy' : 'unhealthy'}: ${this.#health.detail}`);
          return this.#health;
        });
      case 'commit':
        return this.#serialised(async () => {
          const { state, slot } = slots.commit(this.#state);
          // The state is the truth; the receipt attests it, so it is written second.
          this.#save(state);
          const receipt = this.#receipt('commit', slot);
          this.log.info(`slot ${slot} committed; anti-rollback counter ${state.counter}`);
          return { slot, receipt } satisfies VerbResults['commit'];
        });
      case 'rollback':
        return this.#serialised(async () => {
          const model = (params as (typeof verbParams)['rollback']['_output']).model;
          if (model !== undefined) return this.#rollbackModel(model);
          const { state, from } = slots.rollback(this.#state);
          this.#save(state);
          const receipt = this.#receipt('rollback', from, 'requested by the laptop');
          this.log.info(`rolled back from slot ${from}; booted ${state.booted}`);
          return { slot: state.booted, receipt } satisfies VerbResults['rollback'];
        });
      case 'logs':
        return { lines: this.log.tail((params as { lines: number }).lines) } satisfies VerbResults['logs'];
      case 'diagnostics': {
        if (!this.#diagnostics)
          throw new DeckhandError(
            'not_supported',
            'This agent runs without its inference server, so it has no diagnostics.',
          );
        return this.#diagnostics.handle(params as (typeof verbParams)['diagnostics']['_output']);
      }
      default:
        return assertNever(verb);
    }
  }

  async #install(params: (typeof verbParams)['install']['_output']): Promise<VerbResults['install']> {
    const { target, nextState } = this.#verifier.verify(params.metadata, params.target, this.#now());
    if (!target.hardware.includes(this.#o.hardware)) {
      throw new DeckhandError(
        'incompatible_hardware',
        `${target.name} ${target.version} is built for ${target.hardware.join(', ') || 'no hardware'}, not for this ${this.#o.hardware}.`,
      );
    }
    if (target.kind === 'policy')
      throw new DeckhandError('not_supported', 'Policies are not installed on devices.');
    const hook = this.#o.hooks?.install;
    // Built-in slot fillers hash the bytes as they install them; models and install hooks get a blob
    // checked first.
    const blob = await this.#checkBlob(target, target.kind === 'model' || hook !== undefined);
    if (target.kind === 'model') {
      installModel(this.#o.stateDir, blob, target);
      this.#verifier.accept(nextState);
      this.log.info(`model ${target.name} ${target.version} installed`);
      return { slot: null, target, receipt: this.#receipt('install', null, undefined, target) };
    }
    if (target.releaseCounter < this.#state.counter) {
      throw new DeckhandError(
        'rollback',
        `${target.name} ${target.version} is older (release counter ${target.releaseCounter}) than what this device has committed (${this.#state.counter}); the device refuses to go back.`,
      );
    }
    const begun = slots.beginInstall(this.#state);
    this.#save(begun.state);
    await installIntoSlot(
      this.#o.stateDir,
      begun.slot,
      blob,
      target,
      hook
        ? async (dir, blobPath, t) => {
            await hook({ slot: begun.slot, slotDir: dir, blobPath, target: t });
          }
        : fillerFor(target),
    );
    this.#save(
      slots.finishInstall(this.#state, begun.slot, {
        name: target.name,
        version: target.version,
        sha256: target.sha256,
        length: target.length,
        releaseCounter: target.releaseCounter,
        installedAt: this.#now().toISOString(),
      }),
    );
    this.#verifier.accept(nextState);
    this.log.info(`${target.name} ${target.version} installed in slot ${begun.slot}`);
    return { slot: begun.slot, target, receipt: this.#receipt('install', begun.slot, undefined, target) };
  }

  /**
   * A model's health until the inference server judges it: the model is in the current generation
   * and its file is there with the bytes HQ signed.
   */
  async #modelHealth(name: string): Promise<VerbResults['health']> {
    const model = currentModels(this.#o.stateDir).find((m) => m.name === name);
    if (model === undefined) return { healthy: false, detail: `No model named ${name} is installed.` };
    let actual: string;
    try {
      actual = await hashFile(modelFile(this.#o.stateDir, model));
    } catch {
      return { healthy: false, detail: `The file of model ${name} ${model.version} is missing.` };
    }
    const healthy = actual === model.sha256;
    const detail = healthy
      ? `Model ${name} ${model.version} is in place with the bytes HQ signed.`
      : `The file of model ${name} ${model.version} is damaged.`;
    this.log.info(`model health: ${detail}`);
    return { healthy, detail };
  }

  /** Puts back the model that `name` replaced, atomically and without a reboot. */
  async #rollbackModel(name: string): Promise<VerbResults['rollback']> {
    const current = currentModels(this.#o.stateDir).find((m) => m.name === name);
    if (current === undefined)
      throw new DeckhandError(
        'invalid_state',
        `No model named ${name} is installed, so there is nothing to roll back.`,
      );
    const back = restoreModel(this.#o.stateDir, name);
    const reason = back
      ? `model ${name} rolled back from ${current.version} to ${back.version}`
      : `model ${name} ${current.version} removed; it replaced no earlier version`;
    this.log.info(reason);
    const receipt = this.#receipt('rollback', null, reason, current);
    return { slot: null, receipt };
  }

  async #reboot(): Promise<VerbResults['reboot']> {
    const how = (await this.#o.hooks?.reboot?.()) ?? 'simulated';
    if (how === 'system') {
      this.log.info('reboot requested from the system');
      return { booted: this.#state.booted, reverted: false };
    }
    const receipt = this.#applyBoot('rebooted while a release was on trial, without a commit');
    return { booted: this.#state.booted, reverted: receipt !== undefined, ...(receipt ? { receipt } : {}) };
  }

  /** Applies the boot logic; returns the rollback receipt when the boot reverted a trial. */
  #applyBoot(reason: string): SignedReceipt | undefined {
    const from = this.#state.booted;
    const outcome = slots.boot(this.#state);
    this.#save(outcome.state);
    this.#health = null;
    this.log.info(
      `boot ${outcome.state.bootCount}: slot ${outcome.state.booted ?? 'none'}${outcome.state.trial ? ' (trial)' : ''}`,
    );
    if (!outcome.reverted) return undefined;
    this.log.info(`reverted from slot ${from}: ${reason}`);
    return this.#receipt('rollback', from, reason);
  }

  /**
   * Checks that the device holds the target's bytes; with `rehash`, hashes them again (disk damage,
   * tampering since the upload).
   */
  async #checkBlob(target: VerifiedTarget, rehash = true): Promise<string> {
    if (!this.#uploads.has(target.sha256)) {
      throw new DeckhandError(
        'bad_target',
        `The device holds no file with the SHA-256 HQ signed for ${target.name} ${target.version}. Upload the target itself; an altered file is refused.`,
      );
    }
    const path = this.#uploads.blobPath(target.sha256);
    if (!rehash) return path;
    const actual = await hashFile(path);
    if (actual !== target.sha256)
      throw new DeckhandError(
        'hash_mismatch',
        `The stored copy of ${target.name} is damaged; upload it again.`,
      );
    return path;
  }

  #receipt(
    kind: Receipt['kind'],
    slot: Receipt['slot'],
    reason?: string,
    target?: Pick<VerifiedTarget, 'name' | 'version' | 'sha256'>,
  ): SignedReceipt {
    const release = target ?? (slot === null ? null : this.#state.slots[slot]);
    const signed = signReceipt(this.key, {
      kind,
      serialNumber: this.#o.serialNumber,
      hardware: this.#o.hardware,
      slot,
      target: release ? { name: release.name, version: release.version, sha256: release.sha256 } : null,
      counter: this.#state.counter,
      bootCount: this.#state.bootCount,
      ...(reason === undefined ? {} : { reason }),
      time: this.#now().toISOString(),
    });
    this.#receipts.append(signed);
    return signed;
  }

  #save(state: slots.BootState): void {
    this.#bootFile.save(state);
    this.#state = state;
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  /** Runs state-changing verbs one at a time across all sessions. */
  #serialised<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#exclusive.then(run, run);
    this.#exclusive = next.catch(() => undefined);
    return next;
  }
}

/** The agent's version: Deckhand's package version. */
export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
