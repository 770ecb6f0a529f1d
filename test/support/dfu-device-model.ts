/**
 * A USB DFU 1.1 device (and its DfuSe variant, like an STM32 system bootloader) behind the
 * UsbTransport interface. It keeps the specification's state machine (DFU 1.1 § 6.1, appendix A
 * state table) and answers as a real device does: a request that is wrong in the current state
 * stalls and moves the device to dfuERROR with errSTALLEDPKT; a request while dfuDNBUSY before
 * bwPollTimeout has passed stalls too (the model's clock only moves when the host sleeps, so a host
 * that does not honour bwPollTimeout is caught). Faults can be injected per block.
 */
import {
  DFU_REQUEST,
  DFU_STATE,
  DFU_STATUS,
  encodeDfuFunctionalDescriptor,
  encodeDfuStatus,
  encodeStringDescriptor,
} from '../../core/usb/dfu-protocol';
import { dfuseSegmentAt, parseDfuSeCommand, parseDfuSeLayout, type DfuSeMemory } from '../../core/usb/dfuse';
import {
  UsbTransferError,
  type UsbDeviceFacts,
  type UsbSetup,
  type UsbTransport,
} from '../../main/adapters/usb/usb-transport';
import { configurationDescriptor } from './usb-descriptors';

/** States DFU_ABORT is valid in (DFU 1.1 appendix A). */
const ABORTABLE: ReadonlySet<number> = new Set([
  DFU_STATE.dfuIDLE,
  DFU_STATE.dfuDNLOAD_IDLE,
  DFU_STATE.dfuUPLOAD_IDLE,
]);

/** A fault the model injects. */
export type DfuFault =
  /** The GETSTATUS after this data block reports `status` (and dfuERROR). */
  | { readonly kind: 'status-at-block'; readonly block: number; readonly status: number; times?: number }
  /** The DNLOAD of this data block stalls (the device rejects it). */
  | { readonly kind: 'stall-at-block'; readonly block: number; times?: number }
  /** Manifestation fails with errFIRMWARE. */
  | { readonly kind: 'manifest-fails'; times?: number };

/** Model options. */
export interface DfuModelOptions {
  readonly facts?: Partial<UsbDeviceFacts>;
  readonly transferSize?: number;
  /** bwPollTimeout for a data block (ms). */
  readonly pollTimeoutMs?: number;
  readonly manifestationTolerant?: boolean;
  /** Plain DFU: firmware capacity in bytes. */
  readonly capacity?: number;
  /** DfuSe: the memory layouts, one per alternate setting (e.g. "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg"). */
  readonly dfuseLayouts?: readonly string[];
  /** Start in the application (run-time DFU interface only). */
  readonly runtime?: boolean;
  readonly faults?: DfuFault[];
}

/** The model. */
export class DfuDeviceModel implements UsbTransport {
  readonly facts: UsbDeviceFacts;
  state: number;
  status: number = DFU_STATUS.OK;
  /** Plain DFU: the bytes received so far in this download, and the installed firmware after manifestation. */
  received: number[] = [];
  firmware: Uint8Array | null = null;
  /** DfuSe: memory per alternate setting, 0xFF when erased. */
  readonly memories: { layout: DfuSeMemory; bytes: Map<number, number> }[] = [];
  /** Where a DfuSe device jumped when it left DFU mode; true after a reset into new firmware. */
  leftTo: number | null = null;
  rebooted = false;
  /** Every request the host made, for assertions. */
  readonly log: string[] = [];
  /** Milliseconds of model time (advanced by the host's sleeps). */
  now = 0;

  readonly #options: DfuModelOptions;
  readonly #transferSize: number;
  readonly #strings: string[] = ['', 'Deckhand', 'DFU model', 'MODEL-0001'];
  readonly #config: Uint8Array;
  #claimed = false;
  #alternate = 0;
  #busyUntil = 0;
  #pending: { wValue: number; data: Uint8Array } | null = null;
  #blocks = 0;
  #pointer = 0;
  #manifesting = false;
  #gone = false;
  #closed = false;

  constructor(options: DfuModelOptions = {}) {
    this.#options = options;
    this.#transferSize = options.transferSize ?? 1024;
    this.facts = {
      vendorId: options.dfuseLayouts ? 0x0483 : 0x1d50,
      productId: options.dfuseLayouts ? 0xdf11 : 0x6089,
      serialNumber: 'MODEL-0001',
      manufacturerName: 'Deckhand',
      productName: options.dfuseLayouts ? 'STM32  BOOTLOADER' : 'DFU model',
      ...options.facts,
    };
    this.state = options.runtime ? DFU_STATE.appIDLE : DFU_STATE.dfuIDLE;
    const functional = encodeDfuFunctionalDescriptor({
      canDownload: true,
      canUpload: false,
      manifestationTolerant: options.manifestationTolerant ?? false,
      willDetach: options.dfuseLayouts !== undefined,
      detachTimeoutMs: 255,
      transferSize: this.#transferSize,
      dfuVersion: options.dfuseLayouts ? 0x011a : 0x0110,
    });
    const layouts = options.dfuseLayouts ?? [];
    for (const text of layouts) {
      const layout = parseDfuSeLayout(text);
      if (layout === null) throw new Error(`bad layout ${text}`);
      this.memories.push({ layout, bytes: new Map() });
    }
    const alternates = layouts.length > 0 ? layouts.length : 1;
    const interfaces = Array.from({ length: alternates }, (_, alt) => {
      const nameIndex = layouts[alt] === undefined ? 0 : this.#strings.push(layouts[alt]!) - 1;
      return {
        number: 0,
        alternate: alt,
        interfaceClass: 0xfe,
        subclass: 0x01,
        protocol: options.runtime ? 1 : 2,
        nameIndex,
        extra: alt === alternates - 1 ? [functional] : [],
      };
    });
    this.#config = configurationDescriptor(interfaces);
  }

  /** Advances model time (the host's sleep). */
  advance(ms: number): void {
    this.now += ms;
  }

  /** DfuSe: the bytes at [address, address + length) of alternate setting `alt` (0xFF where erased). */
  read(address: number, length: number, alt = 0): Uint8Array {
    const memory = this.memories[alt]!;
    return Uint8Array.from({ length }, (_, i) => memory.bytes.get(address + i) ?? 0xff);
  }

  async controlTransferIn(setup: UsbSetup, length: number): Promise<Uint8Array> {
    this.#alive();
    if (setup.requestType === 'standard') return this.#standardIn(setup, length);
    this.#checkClass(setup);
    switch (setup.request) {
      case DFU_REQUEST.GETSTATUS:
        this.log.push('GETSTATUS');
        return this.#getStatus();
      case DFU_REQUEST.GETSTATE:
        this.log.push('GETSTATE');
        this.#tick();
        return Uint8Array.of(this.state);
      default:
        this.log.push(`IN ${setup.request}`);
        return this.#stall();
    }
  }

  async controlTransferOut(setup: UsbSetup, data: Uint8Array = new Uint8Array(0)): Promise<number> {
    this.#alive();
    this.#checkClass(setup);
    this.#tick();
    switch (setup.request) {
      case DFU_REQUEST.DNLOAD:
        this.log.push(`DNLOAD ${setup.value} ${data.length}`);
        return this.#dnload(setup.value, data);
      case DFU_REQUEST.CLRSTATUS:
        this.log.push('CLRSTATUS');
        if (this.state !== DFU_STATE.dfuERROR) return this.#stall();
        this.state = DFU_STATE.dfuIDLE;
        this.status = DFU_STATUS.OK;
        return 0;
      case DFU_REQUEST.ABORT:
        this.log.push('ABORT');
        if (!ABORTABLE.has(this.state)) return this.#stall();
        this.state = DFU_STATE.dfuIDLE;
        this.received = [];
        return 0;
      default:
        this.log.push(`OUT ${setup.request}`);
        return this.#stall();
    }
  }

  async bulkIn(): Promise<Uint8Array> {
    throw new UsbTransferError('stall', 'A DFU device has no bulk endpoints.');
  }

  async bulkOut(): Promise<number> {
    throw new UsbTransferError('stall', 'A DFU device has no bulk endpoints.');
  }

  async claimInterface(n: number): Promise<void> {
    this.#alive();
    if (n !== 0) throw new UsbTransferError('io', 'no such interface');
    this.#claimed = true;
  }

  async selectAlternateInterface(n: number, alt: number): Promise<void> {
    this.#alive();
    if (!this.#claimed || n !== 0) throw new UsbTransferError('io', 'interface not claimed');
    if (alt >= Math.max(1, this.memories.length))
      throw new UsbTransferError('stall', 'no such alternate setting');
    this.#alternate = alt;
  }

  async configurationDescriptor(): Promise<Uint8Array> {
    this.#alive();
    return this.#config;
  }

  async stringDescriptor(index: number): Promise<string> {
    this.#alive();
    return this.#strings[index] ?? '';
  }

  async reset(): Promise<void> {
    this.log.push('RESET');
    if (this.state === DFU_STATE.dfuMANIFEST_WAIT_RESET || this.firmware !== null) this.rebooted = true;
    this.#gone = true; // it re-enumerates as its application
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #alive(): void {
    if (this.#gone) throw new UsbTransferError('disconnected', 'the device left DFU mode');
    if (this.#closed) throw new UsbTransferError('io', 'device closed');
  }

  #checkClass(setup: UsbSetup): void {
    if (setup.requestType !== 'class' || setup.recipient !== 'interface' || setup.index !== 0) this.#stall();
    if (!this.#claimed) throw new UsbTransferError('io', 'interface not claimed');
  }

  #standardIn(setup: UsbSetup, length: number): Uint8Array {
    const type = setup.value >> 8;
    if (setup.request === 6 && type === 2) return this.#config.subarray(0, length);
    if (setup.request === 6 && type === 3)
      return encodeStringDescriptor(this.#strings[setup.value & 0xff] ?? '').subarray(0, length);
    throw new UsbTransferError('stall', 'unsupported standard request');
  }

  /** A request wrong in this state: stall; a DFU-mode device moves to dfuERROR (DFU 1.1 appendix A). */
  #stall(): never {
    if (this.state !== DFU_STATE.appIDLE && this.state !== DFU_STATE.appDETACH) {
      this.state = DFU_STATE.dfuERROR;
      this.status = DFU_STATUS.errSTALLEDPKT;
    }
    throw new UsbTransferError('stall', 'stalled');
  }

  #fault(match: (f: DfuFault) => boolean): DfuFault | null {
    const fault = this.#options.faults?.find((f) => match(f) && (f.times ?? 1) > 0) ?? null;
    if (fault) fault.times = (fault.times ?? 1) - 1;
    return fault;
  }

  /** Time-driven transitions: dfuDNBUSY → dfuDNLOAD-SYNC and dfuMANIFEST → next, once their poll timeout has passed. */
  #tick(): void {
    if (this.state === DFU_STATE.dfuDNBUSY || this.state === DFU_STATE.dfuMANIFEST) {
      if (this.now < this.#busyUntil) this.#stall(); // the host did not wait bwPollTimeout
      if (this.state === DFU_STATE.dfuDNBUSY) this.state = DFU_STATE.dfuDNLOAD_SYNC;
      else this.#afterManifest();
    }
  }

  #afterManifest(): void {
    if (this.#fault((f) => f.kind === 'manifest-fails')) {
      this.state = DFU_STATE.dfuERROR;
      this.status = DFU_STATUS.errFIRMWARE;
      return;
    }
    if (this.memories.length > 0) {
      // DfuSe: leaving DFU mode, the device jumps to the address pointer and disappears from the bus.
      this.leftTo = this.#pointer;
      this.#gone = true;
      throw new UsbTransferError('disconnected', 'the device left DFU mode');
    }
    this.firmware = Uint8Array.from(this.received);
    this.state = this.#options.manifestationTolerant
      ? DFU_STATE.dfuMANIFEST_SYNC
      : DFU_STATE.dfuMANIFEST_WAIT_RESET;
    this.#manifesting = false;
  }

  #getStatus(): Uint8Array {
    this.#tick();
    let poll = 0;
    switch (this.state) {
      case DFU_STATE.dfuDNLOAD_SYNC:
        if (this.#pending !== null) {
          poll = this.#execute(this.#pending);
          this.#pending = null;
          // #execute may have moved the device to dfuERROR; TypeScript still narrows to this case.
          if ((this.state as number) !== DFU_STATE.dfuERROR) {
            this.state = DFU_STATE.dfuDNBUSY;
            this.#busyUntil = this.now + poll;
          }
        } else this.state = DFU_STATE.dfuDNLOAD_IDLE;
        break;
      case DFU_STATE.dfuMANIFEST_SYNC:
        if (this.#manifesting) {
          poll = this.#options.pollTimeoutMs ?? 5;
          this.state = DFU_STATE.dfuMANIFEST;
          this.#busyUntil = this.now + poll;
        } else this.state = DFU_STATE.dfuIDLE; // manifestation tolerant, done
        break;
      default:
        break;
    }
    return encodeDfuStatus({ status: this.status, pollTimeoutMs: poll, state: this.state, stringIndex: 0 });
  }

  #dnload(wValue: number, data: Uint8Array): number {
    if (data.length > this.#transferSize) this.#stall();
    switch (this.state) {
      case DFU_STATE.dfuIDLE:
        if (data.length === 0) this.#stall();
        this.received = [];
        this.#blocks = 0;
        break;
      case DFU_STATE.dfuDNLOAD_IDLE:
        if (data.length === 0) {
          this.state = DFU_STATE.dfuMANIFEST_SYNC;
          this.#manifesting = true;
          return 0;
        }
        break;
      default:
        this.#stall();
    }
    const isData = this.memories.length === 0 || wValue >= 2;
    if (isData && this.#fault((f) => f.kind === 'stall-at-block' && f.block === this.#blocks)) this.#stall();
    if (this.memories.length > 0 && wValue === 1) this.#stall();
    this.#pending = { wValue, data: Uint8Array.from(data) };
    this.state = DFU_STATE.dfuDNLOAD_SYNC;
    return data.length;
  }

  /** Carries out a DNLOAD (on the GETSTATUS that follows it); returns bwPollTimeout. */
  #execute(pending: { wValue: number; data: Uint8Array }): number {
    const fail = (status: number): number => {
      this.state = DFU_STATE.dfuERROR;
      this.status = status;
      return 0;
    };
    const poll = this.#options.pollTimeoutMs ?? 5;
    if (this.memories.length === 0) {
      const block = this.#blocks++;
      const fault = this.#fault((f) => f.kind === 'status-at-block' && f.block === block);
      if (fault && fault.kind === 'status-at-block') return fail(fault.status);
      if (this.received.length + pending.data.length > (this.#options.capacity ?? 1 << 20))
        return fail(DFU_STATUS.errADDRESS);
      for (const byte of pending.data) this.received.push(byte);
      return poll;
    }
    const memory = this.memories[this.#alternate]!;
    if (pending.wValue === 0) {
      const command = parseDfuSeCommand(pending.data);
      switch (command.kind) {
        case 'set-address':
          if (dfuseSegmentAt(memory.layout, command.address) === null) return fail(DFU_STATUS.errTARGET);
          this.#pointer = command.address;
          return poll;
        case 'erase-page': {
          const segment = dfuseSegmentAt(memory.layout, command.address);
          if (segment === null || !segment.erasable) return fail(DFU_STATUS.errTARGET);
          const page =
            segment.start +
            Math.floor((command.address - segment.start) / segment.pageSize) * segment.pageSize;
          for (let a = page; a < page + segment.pageSize; a += 1) memory.bytes.delete(a);
          return poll * 4; // erasing takes longer: the host must wait the longer bwPollTimeout
        }
        case 'mass-erase':
          memory.bytes.clear();
          return poll * 10;
        default:
          return fail(DFU_STATUS.errSTALLEDPKT);
      }
    }
    const block = this.#blocks++;
    const fault = this.#fault((f) => f.kind === 'status-at-block' && f.block === block);
    if (fault && fault.kind === 'status-at-block') return fail(fault.status);
    const address = this.#pointer + (pending.wValue - 2) * this.#transferSize;
    for (let i = 0; i < pending.data.length; i += 1) {
      const segment = dfuseSegmentAt(memory.layout, address + i);
      if (segment === null || !segment.writable) return fail(DFU_STATUS.errADDRESS);
      if (memory.bytes.has(address + i)) return fail(DFU_STATUS.errCHECK_ERASED); // flash must be erased first
    }
    pending.data.forEach((byte, i) => memory.bytes.set(address + i, byte));
    return poll;
  }
}
