/**
 * A DFU 1.1 / DfuSe host (the part of dfu-util Deckhand needs): picks the DFU interface and
 * alternate setting, reads the functional descriptor (wTransferSize, manifestation tolerance),
 * downloads block by block with DFU_GETSTATUS polling that waits bwPollTimeout each time, recovers a
 * device left in dfuERROR (CLRSTATUS) or mid-transfer (ABORT), manifests, and for DfuSe sets the
 * address pointer and erases the pages it writes. Talks only through UsbTransport.
 */
import {
  DFU_REQUEST,
  DFU_STATE,
  DFU_STATUS,
  dfuStateName,
  dfuStatusText,
  findDfuInterfaces,
  parseDfuStatus,
  type DfuFunctionalDescriptor,
  type DfuInterface,
  type DfuStatusReply,
} from '../../../core/usb/dfu-protocol';
import {
  dfusePagesToErase,
  dfuseErasePage,
  dfuseSetAddress,
  parseDfuSeLayout,
  type DfuSeMemory,
} from '../../../core/usb/dfuse';
import { DeckhandError } from '../../../core/result';
import { UsbTransferError, type UsbSetup, type UsbTransport } from './usb-transport';

/** Options of a DFU session. */
export interface DfuDriverOptions {
  /** Alternate setting to use (DfuSe: 0 is usually internal flash); default the first DFU-mode one. */
  readonly alternateSetting?: number;
  /** Waits (tests pass a recorder; default setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Upper bound on one bwPollTimeout wait, against a device that asks for minutes (default 10 s). */
  readonly maxPollMs?: number;
  /** Upper bound on GETSTATUS polls while one block or command is busy (default 1000). */
  readonly maxPolls?: number;
}

/** Progress callback: bytes acknowledged by the device so far. */
export type DfuProgress = (bytesDone: number) => void;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An open DFU interface. */
export class DfuDriver {
  readonly transport: UsbTransport;
  readonly interface: DfuInterface;
  readonly functional: DfuFunctionalDescriptor;
  /** The alternate setting's name (DfuSe memory layout), '' when none. */
  readonly name: string;
  /** DfuSe memory layout, when the alternate setting names one. */
  readonly memory: DfuSeMemory | null;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #maxPollMs: number;
  readonly #maxPolls: number;

  private constructor(
    transport: UsbTransport,
    iface: DfuInterface,
    functional: DfuFunctionalDescriptor,
    name: string,
    options: DfuDriverOptions,
  ) {
    this.transport = transport;
    this.interface = iface;
    this.functional = functional;
    this.name = name;
    this.memory = parseDfuSeLayout(name);
    this.#sleep = options.sleep ?? defaultSleep;
    this.#maxPollMs = options.maxPollMs ?? 10_000;
    this.#maxPolls = options.maxPolls ?? 1000;
  }

  /** Finds the DFU interface, claims it and selects the alternate setting. */
  static async open(transport: UsbTransport, options: DfuDriverOptions = {}): Promise<DfuDriver> {
    const interfaces = findDfuInterfaces(await usbCall(() => transport.configurationDescriptor()));
    if (interfaces.length === 0)
      throw new DeckhandError(
        'not_supported',
        'This USB device has no DFU interface. Check that it is in DFU (bootloader) mode.',
      );
    const dfuMode = interfaces.filter((i) => i.protocol === 2);
    if (dfuMode.length === 0)
      throw new DeckhandError(
        'invalid_state',
        'The device runs its application (DFU run-time mode). Put it into its bootloader (BOOT0 jumper or reset button) and try again.',
      );
    const wanted = options.alternateSetting;
    const iface = wanted === undefined ? dfuMode[0]! : dfuMode.find((i) => i.alternateSetting === wanted);
    if (!iface)
      throw new DeckhandError(
        'not_found',
        `The device has no DFU alternate setting ${wanted}; it offers ${dfuMode.map((i) => i.alternateSetting).join(', ')}. Fix the release's install parameters.`,
      );
    if (iface.functional === null)
      throw new DeckhandError('protocol_error', 'The DFU device sent no DFU functional descriptor.');
    if (!iface.functional.canDownload)
      throw new DeckhandError('not_supported', 'This DFU device does not accept downloads.');
    const name =
      iface.nameIndex === 0 ? '' : await usbCall(() => transport.stringDescriptor(iface.nameIndex));
    await usbCall(() => transport.claimInterface(iface.interfaceNumber));
    await usbCall(() => transport.selectAlternateInterface(iface.interfaceNumber, iface.alternateSetting));
    return new DfuDriver(transport, iface, iface.functional, name, options);
  }

  /** True for ST's DfuSe (bcdDFUVersion 0x011A). */
  get isDfuSe(): boolean {
    return this.functional.dfuVersion === 0x011a;
  }

  #setup(request: number, value = 0): UsbSetup {
    return {
      requestType: 'class',
      recipient: 'interface',
      request,
      value,
      index: this.interface.interfaceNumber,
    };
  }

  /** DFU_GETSTATUS. */
  async getStatus(): Promise<DfuStatusReply> {
    const bytes = await usbCall(() =>
      this.transport.controlTransferIn(this.#setup(DFU_REQUEST.GETSTATUS), 6),
    );
    const reply = parseDfuStatus(bytes);
    if (reply === null) throw new DeckhandError('protocol_error', 'The DFU device sent a malformed status.');
    return reply;
  }

  /** DFU_GETSTATE. */
  async getState(): Promise<number> {
    const bytes = await usbCall(() => this.transport.controlTransferIn(this.#setup(DFU_REQUEST.GETSTATE), 1));
    if (bytes.length !== 1)
      throw new DeckhandError('protocol_error', 'The DFU device sent a malformed state.');
    return bytes[0]!;
  }

  /** DFU_CLRSTATUS (leaves dfuERROR for dfuIDLE). */
  async clearStatus(): Promise<void> {
    await usbCall(() => this.transport.controlTransferOut(this.#setup(DFU_REQUEST.CLRSTATUS)));
  }

  /** DFU_ABORT (back to dfuIDLE from an idle transfer state). */
  async abort(): Promise<void> {
    await usbCall(() => this.transport.controlTransferOut(this.#setup(DFU_REQUEST.ABORT)));
  }

  /**
   * Brings the device to dfuIDLE whatever state an earlier, interrupted session left: CLRSTATUS out
   * of dfuERROR, ABORT out of dfuDNLOAD-IDLE / dfuUPLOAD-IDLE (DFU 1.1 § 6.1.2, dfu-util's start).
   */
  async ensureIdle(): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const status = await this.getStatus();
      switch (status.state) {
        case DFU_STATE.dfuIDLE:
          if (status.status === DFU_STATUS.OK) return;
          await this.clearStatus();
          break;
        case DFU_STATE.dfuERROR:
          await this.clearStatus();
          break;
        case DFU_STATE.dfuDNLOAD_IDLE:
        case DFU_STATE.dfuUPLOAD_IDLE:
          await this.abort();
          break;
        case DFU_STATE.appIDLE:
        case DFU_STATE.appDETACH:
          throw new DeckhandError(
            'invalid_state',
            'The device runs its application, not its DFU bootloader. Put it into DFU mode and try again.',
          );
        case DFU_STATE.dfuMANIFEST_WAIT_RESET:
          throw new DeckhandError(
            'invalid_state',
            'The device waits for a reset after flashing. Unplug it, plug it back in and try again.',
          );
        default:
          await this.#pause(status.pollTimeoutMs);
      }
    }
    throw new DeckhandError(
      'invalid_state',
      'The DFU device does not return to its idle state. Unplug it, plug it back in and try again.',
    );
  }

  /**
   * DFU 1.1 download: blocks of wTransferSize with wValue = block number, each followed by
   * GETSTATUS polling until dfuDNLOAD-IDLE. On a device error it clears the error (the device is in
   * dfuIDLE again, ready for a retry) and throws `device_failed`.
   */
  async download(
    payload: Uint8Array,
    onProgress: DfuProgress = () => undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.ensureIdle();
    const size = this.functional.transferSize;
    let block = 0;
    for (let offset = 0; offset < payload.length; offset += size) {
      if (signal?.aborted) {
        await this.abort().catch(() => undefined);
        throw new DeckhandError(
          'cancelled',
          'The firmware download was cancelled; the device was left in its bootloader.',
        );
      }
      const chunk = payload.subarray(offset, Math.min(payload.length, offset + size));
      await this.#dnload(block & 0xffff, chunk, `block ${block}`);
      block += 1;
      onProgress(offset + chunk.length);
    }
  }

  /**
   * DfuSe download at `address`: erases each page the data touches, sets the address pointer, then
   * writes blocks with wValue 2, 3, … (address = pointer + (wValue − 2) × wTransferSize, UM0391 § 6.2).
   */
  async dfuseDownload(
    address: number,
    data: Uint8Array,
    onProgress: DfuProgress = () => undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    if (!this.isDfuSe)
      throw new DeckhandError(
        'not_supported',
        'This device speaks plain DFU, not DfuSe; remove the address from the install parameters.',
      );
    await this.ensureIdle();
    if (this.memory !== null) {
      const plan = dfusePagesToErase(this.memory, address, data.length);
      if ('problem' in plan)
        throw new DeckhandError(
          'invalid_input',
          `The firmware does not fit the device: ${plan.problem}. Check the address in the release's install parameters.`,
        );
      for (const page of plan.pages) {
        this.#checkCancel(signal);
        await this.#dnload(0, dfuseErasePage(page), `erase of page 0x${page.toString(16)}`);
      }
    }
    const size = this.functional.transferSize;
    let block = 0;
    for (let offset = 0; offset < data.length; offset += size * 0xfff0) {
      // wValue is 16 bits: re-point every 0xFFF0 blocks (large images on small transfer sizes).
      await this.#dnload(
        0,
        dfuseSetAddress(address + offset),
        `address 0x${(address + offset).toString(16)}`,
      );
      const end = Math.min(data.length, offset + size * 0xfff0);
      for (let at = offset, wValue = 2; at < end; at += size, wValue += 1) {
        this.#checkCancel(signal);
        const chunk = data.subarray(at, Math.min(end, at + size));
        await this.#dnload(wValue, chunk, `block ${block}`);
        block += 1;
        onProgress(at + chunk.length);
      }
    }
  }

  /**
   * Ends the download: a zero-length DNLOAD, then GETSTATUS through manifestation. A manifestation
   * tolerant device returns to dfuIDLE; any other one goes to dfuMANIFEST-WAIT-RESET and is reset
   * (or, DfuSe, leaves for the application by itself). DfuSe jumps to `leaveAddress` when given.
   */
  async manifest(leaveAddress?: number): Promise<'idle' | 'reset'> {
    if (this.isDfuSe && leaveAddress !== undefined)
      await this.#dnload(0, dfuseSetAddress(leaveAddress), `address 0x${leaveAddress.toString(16)}`);
    await usbCall(() =>
      this.transport.controlTransferOut(this.#setup(DFU_REQUEST.DNLOAD, 0), new Uint8Array(0)),
    );
    for (let poll = 0; poll < this.#maxPolls; poll += 1) {
      let status: DfuStatusReply;
      try {
        status = await this.getStatus();
      } catch (error) {
        // A device that is not manifestation tolerant may reset itself while manifesting.
        if (
          error instanceof DeckhandError &&
          error.code === 'link_lost' &&
          !this.functional.manifestationTolerant
        )
          return 'reset';
        throw error;
      }
      if (status.state === DFU_STATE.dfuERROR || status.status !== DFU_STATUS.OK) {
        await this.clearStatus().catch(() => undefined);
        throw deviceFailed('while manifesting the new firmware', status);
      }
      if (status.state === DFU_STATE.dfuIDLE) return 'idle';
      if (status.state === DFU_STATE.dfuMANIFEST_WAIT_RESET) {
        // DFU 1.1 § 7: the host resets the device, which then runs the new firmware.
        await this.transport.reset().catch(() => undefined);
        return 'reset';
      }
      await this.#pause(status.pollTimeoutMs);
    }
    throw new DeckhandError('timeout', 'The DFU device did not finish installing the firmware.');
  }

  /** Releases the device. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  /** One DNLOAD and the GETSTATUS polling until the device is idle again. */
  async #dnload(wValue: number, data: Uint8Array, what: string): Promise<void> {
    try {
      await usbCall(() => this.transport.controlTransferOut(this.#setup(DFU_REQUEST.DNLOAD, wValue), data));
    } catch (error) {
      throw await this.#recover(error, what);
    }
    for (let poll = 0; poll < this.#maxPolls; poll += 1) {
      let status: DfuStatusReply;
      try {
        status = await this.getStatus();
      } catch (error) {
        throw await this.#recover(error, what);
      }
      if (status.status !== DFU_STATUS.OK || status.state === DFU_STATE.dfuERROR) {
        await this.clearStatus().catch(() => undefined);
        throw deviceFailed(`at ${what}`, status);
      }
      if (status.state === DFU_STATE.dfuDNLOAD_IDLE) return;
      if (status.state !== DFU_STATE.dfuDNBUSY && status.state !== DFU_STATE.dfuDNLOAD_SYNC)
        throw new DeckhandError(
          'protocol_error',
          `The DFU device went to ${dfuStateName(status.state)} at ${what}; expected dfuDNLOAD-IDLE.`,
        );
      // DFU 1.1 § 6.1.2: no request until bwPollTimeout has passed.
      await this.#pause(status.pollTimeoutMs);
    }
    throw new DeckhandError('timeout', `The DFU device stayed busy at ${what}.`);
  }

  /** After a stalled request: read why, clear the error so the device is usable, and say what happened. */
  async #recover(error: unknown, what: string): Promise<DeckhandError> {
    if (!(error instanceof DeckhandError) || error.code !== 'protocol_error') return toDeckhand(error);
    try {
      const status = await this.getStatus();
      if (status.state === DFU_STATE.dfuERROR) await this.clearStatus();
      return deviceFailed(`at ${what}`, status);
    } catch {
      return error;
    }
  }

  #checkCancel(signal: AbortSignal | undefined): void {
    if (signal?.aborted)
      throw new DeckhandError(
        'cancelled',
        'The firmware download was cancelled; the device was left in its bootloader.',
      );
  }

  async #pause(ms: number): Promise<void> {
    await this.#sleep(Math.min(ms, this.#maxPollMs));
  }
}

function deviceFailed(where: string, status: DfuStatusReply): DeckhandError {
  return new DeckhandError(
    'device_failed',
    `The DFU device reported an error ${where}: ${dfuStatusText(status.status)}. Deckhand cleared the error; try again, and if it repeats check the firmware file and the device.`,
    { dfuStatus: status.status, dfuState: dfuStateName(status.state) },
  );
}

/** Runs a transfer and turns UsbTransferError into coded errors (a stall is a protocol_error). */
export async function usbCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toDeckhand(error);
  }
}

function toDeckhand(error: unknown): DeckhandError {
  if (error instanceof DeckhandError) return error;
  if (error instanceof UsbTransferError) {
    switch (error.failure) {
      case 'stall':
        return new DeckhandError('protocol_error', 'The USB device refused a request.');
      case 'timeout':
        return new DeckhandError(
          'timeout',
          'The USB device did not answer in time. Check the cable and try again.',
        );
      case 'disconnected':
        return new DeckhandError(
          'link_lost',
          'The USB device was unplugged or reset. Plug it back in and try again.',
        );
      case 'io':
        return new DeckhandError(
          'link_lost',
          `USB transfer failed (${error.message}). Check the cable and try again.`,
        );
    }
  }
  return new DeckhandError('link_lost', `USB transfer failed: ${String((error as Error)?.message ?? error)}`);
}
