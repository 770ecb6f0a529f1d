/**
 * The deploy engine's connector for MCUmgr devices (`smp+serial://`, `smp+udp://`): Zephyr or
 * Mynewt firmware with MCUboot. The target must be an MCUboot image (imgtool / west sign output).
 * Steps map to MCUmgr as follows: upload → image upload into slot 1 (resumed by offset);
 * verify → the slot's hash in the image list equals the image's SHA-256 TLV; install → image test
 * (pending); reboot → OS reset, then wait for echo; health → echo; commit → image confirm; rollback → reset while the
 * new image is unconfirmed (MCUboot swaps the old one back).
 */
import { readFile } from 'node:fs/promises';
import type { DeviceUri } from '../../../core/device-uri/device-uri';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';
import { parseMcubootImage, type McubootImageInfo } from '../../../core/smp/mcuboot-image';
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
import { SmpClient, type SmpClientOptions, type SmpImageSlot } from './smp-client';
import { openSmpTransport } from './smp-transport';

/** Connector settings (tests shorten the timeouts). */
export interface SmpConnectorOptions {
  readonly client?: SmpClientOptions;
  /** How long a reboot may take before the device must answer again (default 60 s). */
  readonly rebootTimeoutMs?: number;
}

/** Opens MCUmgr sessions. */
export class SmpConnector implements DeviceConnector {
  readonly schemes = ['smp+serial', 'smp+udp'] as const;
  readonly #options: SmpConnectorOptions;

  constructor(options: SmpConnectorOptions = {}) {
    this.#options = options;
  }

  /** Opens the transport, learns the device's packet size and checks that it answers. */
  async connect(uri: DeviceUri, context: ConnectContext): Promise<DeviceSession> {
    if (uri.scheme !== 'smp+serial' && uri.scheme !== 'smp+udp')
      throw new DeckhandError('invalid_input', `${uri.uri} is not an MCUmgr address.`);
    const transport = await openSmpTransport(uri);
    const timeoutMs = context.timeoutMs ?? this.#options.client?.timeoutMs;
    const client = new SmpClient(transport, {
      ...this.#options.client,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    try {
      await client.negotiate();
      await client.imageList();
    } catch (error) {
      client.close();
      throw error;
    }
    return new SmpSession(uri.uri, client, this.#options.rebootTimeoutMs ?? 60_000);
  }
}

/** Maps an MCUmgr slot's flags to the engine's states (pending counts as trial: it boots on trial next). */
export function slotState(slot: SmpImageSlot): InstalledItem['state'] {
  if (slot.active && slot.confirmed) return 'active';
  if (slot.active || slot.pending) return 'trial';
  return 'inactive';
}

/** One MCUmgr device. */
export class SmpSession implements DeviceSession {
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    'upload',
    'resume',
    'verify',
    'install',
    'reboot',
    'health',
    'commit',
    'rollback',
  ]);
  readonly fingerprint = null;
  readonly uri: string;
  readonly #client: SmpClient;
  readonly #rebootTimeoutMs: number;
  readonly #images = new Map<string, { bytes: Buffer; info: McubootImageInfo }>();

  constructor(uri: string, client: SmpClient, rebootTimeoutMs: number) {
    this.uri = uri;
    this.#client = client;
    this.#rebootTimeoutMs = rebootTimeoutMs;
  }

  /** The packet size in use (the device's MCUmgr buffer when it reports one). */
  get packetBytes(): number {
    return this.#client.packetBytes;
  }

  async snapshot(): Promise<DeviceSnapshot> {
    const slots = await this.#client.imageList();
    const releases = slots
      .filter((slot) => slot.hash !== '')
      .map((slot): InstalledItem => ({
        name: `image${slot.image}-slot${slot.slot}`,
        version: slot.version,
        // The image's SHA-256 TLV (what MCUmgr reports), not the file's hash.
        sha256: slot.hash,
        state: slotState(slot),
      }));
    return {
      hardware: null,
      serialNumber: null,
      freeBytes: null,
      counter: null,
      releases,
      models: [],
      trial: slots.some((slot) => slot.active && !slot.confirmed),
    };
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    const { bytes, info } = await this.#image(target);
    const slots = await this.#client.imageList();
    if (slots.some((slot) => slot.hash === info.hash)) {
      meter.advance(bytes.length);
      return; // Already on the device (uploaded before, or running).
    }
    let reported = 0;
    await this.#client.upload(bytes, {
      sha256: target.sha256,
      signal,
      onProgress: (offset) => {
        if (offset > reported) meter.advance(offset - reported);
        reported = Math.max(reported, offset);
      },
    });
  }

  async verify(target: DeployTarget): Promise<StepOutcome> {
    const { info } = await this.#image(target);
    const slot = (await this.#client.imageList()).find((entry) => entry.hash === info.hash);
    if (slot === undefined)
      throw new DeckhandError(
        'hash_mismatch',
        `The device does not list an image with ${target.name} ${target.version}'s hash. Upload it again.`,
      );
    return {
      receipt: null,
      detail: `slot ${slot.slot} holds ${info.versionText} (sha256 ${info.hash.slice(0, 12)}…)`,
    };
  }

  async install(target: DeployTarget, _meter?: ProgressMeter, _signal?: AbortSignal): Promise<StepOutcome> {
    const { info } = await this.#image(target);
    const slot = (await this.#client.imageList()).find((entry) => entry.hash === info.hash);
    if (slot?.active) return { receipt: null, detail: `${info.versionText} already runs` };
    if (slot?.pending) return { receipt: null, detail: `${info.versionText} already boots next on trial` };
    await this.#client.test(info.hash);
    return { receipt: null, detail: `${info.versionText} marked to boot once on trial (pending)` };
  }

  async reboot(signal: AbortSignal): Promise<StepOutcome> {
    await this.#client.reset();
    const deadline = Date.now() + this.#rebootTimeoutMs;
    for (;;) {
      if (signal.aborted)
        throw new DeckhandError('cancelled', 'Waiting for the device to reboot was cancelled.');
      try {
        await this.#client.echo('deckhand');
        break;
      } catch (error) {
        if (!(error instanceof DeckhandError) || error.code !== 'link_lost' || Date.now() > deadline)
          throw error instanceof DeckhandError && error.code === 'link_lost'
            ? new DeckhandError('timeout', 'The device did not answer after its reset. Check it booted.')
            : error;
      }
    }
    const running = (await this.#client.imageList()).find((slot) => slot.active);
    return { receipt: null, detail: `rebooted; running ${running?.version ?? 'an unknown image'}` };
  }

  async health(): Promise<{ readonly healthy: boolean; readonly detail: string }> {
    const answer = await this.#client.echo('health');
    return { healthy: answer === 'health', detail: 'the device answers MCUmgr echo' };
  }

  async commit(target: DeployTarget): Promise<StepOutcome> {
    const { info } = await this.#image(target);
    const running = (await this.#client.imageList()).find((slot) => slot.active);
    if (running?.hash !== info.hash)
      throw new DeckhandError(
        'invalid_state',
        `The device runs ${running?.version ?? 'another image'}, not ${info.versionText}: MCUboot did not boot the new image or reverted it. Nothing was confirmed.`,
      );
    if (running.confirmed) return { receipt: null, detail: `${info.versionText} was already confirmed` };
    await this.#client.confirm();
    return { receipt: null, detail: `${info.versionText} confirmed (permanent)` };
  }

  async rollback(reason: string): Promise<StepOutcome> {
    const slots = await this.#client.imageList();
    const running = slots.find((slot) => slot.active);
    if (running === undefined || running.confirmed)
      throw new DeckhandError(
        'invalid_state',
        'No image runs on trial, so there is nothing to roll back: the running image is confirmed.',
      );
    await this.reboot(AbortSignal.timeout(this.#rebootTimeoutMs + 5_000));
    const now = (await this.#client.imageList()).find((slot) => slot.active);
    return { receipt: null, detail: `rolled back (${reason}); running ${now?.version ?? 'unknown'}` };
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  async #image(target: DeployTarget): Promise<{ bytes: Buffer; info: McubootImageInfo }> {
    const known = this.#images.get(target.sha256);
    if (known !== undefined) return known;
    const bytes = await readFile(target.filePath);
    const info = parseMcubootImage(bytes);
    if (!info.hashValid)
      throw new DeckhandError(
        'hash_mismatch',
        `${target.name} ${target.version} is an MCUboot image whose SHA-256 TLV does not match its contents; MCUboot would refuse to boot it.`,
      );
    const entry = { bytes, info };
    this.#images.set(target.sha256, entry);
    return entry;
  }
}
