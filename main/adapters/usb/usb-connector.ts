/**
 * The deploy engine's connector for usb://VID:PID[/SERIAL]?protocol=dfu|fastboot. A bootloader
 * keeps no releases, no anti-rollback counter and no health check, so a session declares only what
 * the protocol really does: `upload` (the firmware goes to the device's storage: DFU download, or
 * fastboot download + flash), `install` (DFU manifestation; fastboot: the flashed partition checked
 * in place) and `reboot` (DFU: USB reset or DfuSe leave; fastboot: reboot). Nothing else.
 *
 * Install parameters (target.install.params, set by HQ in the release's `install`):
 *   dfu:      alt (alternate setting, default the first), address ("0x08000000", DfuSe; default the
 *             start of the alternate setting's memory), allowNoSuffix (true to send a file without a
 *             DFU suffix), leave (false to stay in the bootloader after a DfuSe download)
 *   fastboot: partition (required), erase (true to erase before flashing), reboot ("system" default,
 *             or "bootloader")
 * Before anything is sent, the file read from the store is hashed and compared with the target's
 * sha256 (a bootloader verifies nothing itself), and a DFU file's suffix is checked (CRC, VID/PID).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DeviceUri } from '../../../core/device-uri/device-uri';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';
import { checkDfuSuffix, isDfuSeFile, parseDfuSeFile } from '../../../core/usb/dfu-file';
import type {
  Capability,
  ConnectContext,
  DeployTarget,
  DeviceConnector,
  DeviceSession,
  DeviceSnapshot,
  StepOutcome,
} from '../../services/deploy/device-session';
import { DfuDriver } from './dfu-driver';
import { FastbootDriver } from './fastboot-driver';
import { openNodeUsbDevice } from './node-usb-transport';
import type { UsbOpener, UsbTransport } from './usb-transport';

/** How to build the connector. */
export interface UsbConnectorOptions {
  /** Opens a device (default: the `usb` package; tests pass device models). */
  readonly open?: UsbOpener;
  /** Waits between DFU status polls (tests advance a model clock). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** INFO/TEXT lines from fastboot bootloaders. */
  readonly onMessage?: (uri: string, line: string) => void;
}

/** The connector for scheme 'usb'. */
export function createUsbConnector(options: UsbConnectorOptions = {}): DeviceConnector {
  const open = options.open ?? openNodeUsbDevice;
  return {
    schemes: ['usb'],
    connect: async (uri: DeviceUri, _context: ConnectContext): Promise<DeviceSession> => {
      if (uri.scheme !== 'usb') throw new DeckhandError('not_supported', `${uri.uri} is not a USB address.`);
      const transport = await open({ vendorId: uri.vendorId, productId: uri.productId, serial: uri.serial });
      if (transport === null)
        throw new DeckhandError(
          'link_lost',
          `No USB device ${uri.uri.replace(/\?.*$/, '')} is attached. Check the cable and that the board is in its bootloader mode.`,
        );
      return uri.protocol === 'dfu'
        ? new DfuSession(uri.uri, transport, options)
        : new FastbootSession(uri.uri, transport, options);
    },
  };
}

const params = (target: DeployTarget): Readonly<Record<string, unknown>> => target.install.params ?? {};

async function readTarget(target: DeployTarget): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(target.filePath));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== target.length || sha256 !== target.sha256)
    throw new DeckhandError(
      'hash_mismatch',
      `The stored copy of ${target.name} ${target.version} does not match the bundle. Import the bundle again.`,
    );
  return bytes;
}

function checkMethod(target: DeployTarget, method: 'dfu' | 'fastboot'): void {
  if (target.install.method !== method)
    throw new DeckhandError(
      'not_supported',
      `${target.name} ${target.version} installs with "${target.install.method}", but this device takes ${method}.`,
    );
}

function parseAddress(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^0x[0-9a-f]+$/i.test(value)
        ? Number.parseInt(value, 16)
        : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff)
    throw new DeckhandError(
      'invalid_input',
      `The install address "${String(value)}" is not an address like 0x08000000.`,
    );
  return n;
}

const notDeclared = (what: string): DeckhandError =>
  new DeckhandError('not_supported', `A USB bootloader has no ${what}; Deckhand does not ask it for one.`);

abstract class UsbSession implements DeviceSession {
  readonly uri: string;
  readonly fingerprint = null;
  abstract readonly capabilities: ReadonlySet<Capability>;
  protected readonly transport: UsbTransport;
  protected readonly options: UsbConnectorOptions;

  constructor(uri: string, transport: UsbTransport, options: UsbConnectorOptions) {
    this.uri = uri;
    this.transport = transport;
    this.options = options;
  }

  /**
   * A bootloader knows nothing of releases; its hardware is its USB id, `usb:VVVV:PPPP`, which HQ
   * lists in a firmware target's `hardware` (fastboot overrides it with getvar:product).
   */
  async snapshot(): Promise<DeviceSnapshot> {
    const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
    return {
      hardware: `usb:${hex4(this.transport.facts.vendorId)}:${hex4(this.transport.facts.productId)}`,
      serialNumber: this.transport.facts.serialNumber,
      freeBytes: null,
      counter: null,
      releases: [],
      models: [],
      trial: false,
    };
  }

  abstract upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void>;
  abstract install(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<StepOutcome>;
  abstract reboot(signal: AbortSignal): Promise<StepOutcome>;

  async verify(): Promise<StepOutcome> {
    throw notDeclared('signature check');
  }

  async health(): Promise<{ readonly healthy: boolean; readonly detail: string }> {
    throw notDeclared('health check');
  }

  async commit(): Promise<StepOutcome> {
    throw notDeclared('commit');
  }

  async rollback(): Promise<StepOutcome> {
    throw notDeclared('rollback');
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

class DfuSession extends UsbSession {
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['upload', 'install', 'reboot']);
  #driver: DfuDriver | null = null;
  #alt: number | undefined;
  #leaveAddress: number | undefined;
  #manifested: 'idle' | 'reset' | null = null;

  async #open(alt: number | undefined): Promise<DfuDriver> {
    if (this.#driver && this.#alt === alt) return this.#driver;
    this.#driver = await DfuDriver.open(this.transport, { alternateSetting: alt, sleep: this.options.sleep });
    this.#alt = alt;
    return this.#driver;
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    checkMethod(target, 'dfu');
    const p = params(target);
    const file = await readTarget(target);
    const alt = p['alt'] === undefined ? undefined : Number(p['alt']);
    if (alt !== undefined && (!Number.isInteger(alt) || alt < 0 || alt > 255))
      throw new DeckhandError(
        'invalid_input',
        `The DFU alternate setting "${String(p['alt'])}" is not a number from 0 to 255.`,
      );
    const checked = checkDfuSuffix(file, this.transport.facts);
    let payload: Uint8Array;
    if (checked.ok) payload = checked.payload;
    else if (checked.problem === 'missing' && p['allowNoSuffix'] === true) payload = file;
    else
      throw new DeckhandError(
        checked.problem === 'wrong_device' ? 'incompatible_hardware' : 'bad_target',
        checked.message,
      );
    const driver = await this.#open(alt);
    // The drivers report bytes done per element; the meter wants increments over the whole file.
    let base = 0;
    let reported = 0;
    const progress = (done: number): void => {
      meter.advance(base + done - reported);
      reported = base + done;
    };
    if (isDfuSeFile(payload)) {
      if (!driver.isDfuSe)
        throw new DeckhandError(
          'incompatible_hardware',
          'The file is a DfuSe image but the device speaks plain DFU.',
        );
      let targets;
      try {
        targets = parseDfuSeFile(payload);
      } catch (error) {
        throw new DeckhandError('bad_target', (error as Error).message);
      }
      const mine = targets.filter((t) => t.alternateSetting === driver.interface.alternateSetting);
      if (mine.length === 0)
        throw new DeckhandError(
          'bad_target',
          `The DfuSe file has no image for alternate setting ${driver.interface.alternateSetting}.`,
        );
      for (const element of mine.flatMap((t) => t.elements)) {
        await driver.dfuseDownload(element.address, element.data, progress, signal);
        this.#leaveAddress ??= element.address;
        base += element.data.length;
      }
    } else if (driver.isDfuSe) {
      const address = parseAddress(p['address']) ?? driver.memory?.segments[0]?.start;
      if (address === undefined)
        throw new DeckhandError(
          'invalid_input',
          'The DfuSe device names no memory; set "address" in the release\'s install parameters.',
        );
      await driver.dfuseDownload(address, payload, progress, signal);
      this.#leaveAddress = address;
    } else {
      await driver.download(payload, progress, signal);
    }
    if (p['leave'] === false) this.#leaveAddress = undefined;
  }

  async install(target: DeployTarget): Promise<StepOutcome> {
    checkMethod(target, 'dfu');
    const driver = this.#driver;
    if (driver === null)
      throw new DeckhandError(
        'invalid_state',
        'Nothing was downloaded to the DFU device in this session; upload first.',
      );
    if (driver.isDfuSe) {
      // DfuSe writes to flash as it goes; manifestation is leaving DFU mode, done by reboot().
      return {
        receipt: null,
        detail: `${target.name} ${target.version} written to ${driver.name.split('/')[0]?.replace('@', '').trim() || 'flash'} over DfuSe`,
      };
    }
    this.#manifested = await driver.manifest();
    return {
      receipt: null,
      detail: `${target.name} ${target.version} manifested over DFU${this.#manifested === 'reset' ? '; the device reset into it' : ''}`,
    };
  }

  async reboot(): Promise<StepOutcome> {
    const driver = this.#driver;
    if (driver === null) {
      await this.transport.reset().catch(() => undefined);
      return { receipt: null, detail: 'USB reset sent' };
    }
    if (driver.isDfuSe) {
      if (this.#leaveAddress === undefined)
        return { receipt: null, detail: 'stayed in the DfuSe bootloader (leave: false)' };
      await driver.manifest(this.#leaveAddress);
      return {
        receipt: null,
        detail: `left DFU mode; the device runs from 0x${this.#leaveAddress.toString(16)}`,
      };
    }
    if (this.#manifested === 'reset')
      return { receipt: null, detail: 'the device already reset into the new firmware' };
    await this.transport.reset().catch(() => undefined);
    return { receipt: null, detail: 'USB reset sent; the device runs the new firmware' };
  }
}

class FastbootSession extends UsbSession {
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>(['upload', 'install', 'reboot']);
  #driver: FastbootDriver | null = null;
  #flashed: { partition: string; pieces: number } | null = null;
  #rebootTarget: 'system' | 'bootloader' = 'system';

  async #open(): Promise<FastbootDriver> {
    this.#driver ??= await FastbootDriver.open(this.transport, {
      onMessage: (line) => this.options.onMessage?.(this.uri, line),
    });
    return this.#driver;
  }

  /** fastboot's `product` variable is the board name fastboot's own android-info.txt checks (`require board=`). */
  override async snapshot(): Promise<DeviceSnapshot> {
    const base = await super.snapshot();
    const driver = await this.#open();
    const product = await driver.getvar('product').catch(() => null);
    return { ...base, hardware: product || base.hardware };
  }

  async upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void> {
    checkMethod(target, 'fastboot');
    const p = params(target);
    const partition = p['partition'];
    if (typeof partition !== 'string')
      throw new DeckhandError(
        'invalid_input',
        `${target.name} ${target.version} names no fastboot partition; HQ must set "partition" in its install parameters.`,
      );
    if (p['reboot'] === 'bootloader') this.#rebootTarget = 'bootloader';
    const image = await readTarget(target);
    const driver = await this.#open();
    if (p['erase'] === true) await driver.erase(partition);
    let last = 0;
    const pieces = await driver.flash(
      partition,
      image,
      (done) => {
        meter.advance(done - last);
        last = done;
      },
      signal,
    );
    this.#flashed = { partition, pieces };
  }

  async install(target: DeployTarget): Promise<StepOutcome> {
    checkMethod(target, 'fastboot');
    if (this.#flashed === null)
      throw new DeckhandError('invalid_state', 'Nothing was flashed in this session; upload first.');
    const { partition, pieces } = this.#flashed;
    return {
      receipt: null,
      detail: `${target.name} ${target.version} flashed to ${partition}${pieces > 1 ? ` as ${pieces} sparse images` : ''}`,
    };
  }

  async reboot(): Promise<StepOutcome> {
    const driver = await this.#open();
    await driver.reboot(this.#rebootTarget);
    return {
      receipt: null,
      detail:
        this.#rebootTarget === 'system' ? 'rebooted into the new system' : 'rebooted into the bootloader',
    };
  }
}
