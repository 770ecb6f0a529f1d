/**
 * A fastboot bootloader behind the UsbTransport interface (AOSP system/core/fastboot/README.md):
 * one command per bulk OUT transfer, replies INFO/TEXT/OKAY/FAIL/DATA on bulk IN, download:%08x
 * answered with DATA and then exactly that many bytes, flash:PARTITION writing raw images or
 * applying sparse ones block by block (so split images reassemble as on a real device), erase,
 * getvar (max-download-size, product, serialno, partition-size:…) and reboot. Wrong sequences get
 * the FAIL a bootloader gives (too large, no image downloaded, unknown partition, unknown command).
 */
import {
  downloadCommand,
  encodeFastbootResponse,
  type FastbootResponse,
} from '../../core/usb/fastboot-protocol';
import { applySparse, isSparseImage } from '../../core/usb/sparse-image';
import {
  UsbTransferError,
  type UsbDeviceFacts,
  type UsbSetup,
  type UsbTransport,
} from '../../main/adapters/usb/usb-transport';
import { bulkEndpoint, configurationDescriptor } from './usb-descriptors';

/** Model options. */
export interface FastbootModelOptions {
  readonly facts?: Partial<UsbDeviceFacts>;
  readonly maxDownloadSize?: number;
  /** Partitions and their sizes in bytes. */
  readonly partitions?: Readonly<Record<string, number>>;
  /** Send TEXT lines (newer bootloaders) as well as INFO. */
  readonly text?: boolean;
  /** The next flash of this partition fails with this reason (once). */
  failFlash?: { partition: string; reason: string } | null;
}

const IN = 1;
const OUT = 1;

/** The model. */
export class FastbootDeviceModel implements UsbTransport {
  readonly facts: UsbDeviceFacts;
  readonly partitions = new Map<string, Uint8Array>();
  /** Commands received, in order (data transfers as "<data N>"). */
  readonly log: string[] = [];
  rebooted: 'system' | 'bootloader' | null = null;
  /** Sparse images applied per partition (to check splitting). */
  readonly sparseFlashes = new Map<string, number>();

  readonly #options: FastbootModelOptions;
  readonly #max: number;
  readonly #replies: Uint8Array[] = [];
  readonly #config: Uint8Array;
  #expecting = 0;
  #download: Uint8Array | null = null;
  #received = 0;
  #claimed = false;
  #gone = false;

  constructor(options: FastbootModelOptions = {}) {
    this.#options = options;
    this.#max = options.maxDownloadSize ?? 512 * 1024;
    this.facts = {
      vendorId: 0x18d1,
      productId: 0x4ee0,
      serialNumber: 'FB-MODEL-01',
      manufacturerName: 'Deckhand',
      productName: 'Android bootloader',
      ...options.facts,
    };
    for (const [name, size] of Object.entries(
      options.partitions ?? { boot: 256 * 1024, system: 4 * 1024 * 1024 },
    ))
      this.partitions.set(name, new Uint8Array(size));
    this.#config = configurationDescriptor([
      {
        number: 0,
        alternate: 0,
        interfaceClass: 0xff,
        subclass: 0x42,
        protocol: 0x03,
        nameIndex: 0,
        extra: [bulkEndpoint(0x80 | IN), bulkEndpoint(OUT)],
      },
    ]);
  }

  async controlTransferIn(setup: UsbSetup, length: number): Promise<Uint8Array> {
    this.#alive();
    if (setup.requestType === 'standard' && setup.request === 6 && setup.value >> 8 === 2)
      return this.#config.subarray(0, length);
    throw new UsbTransferError('stall', 'unsupported control request');
  }

  async controlTransferOut(): Promise<number> {
    throw new UsbTransferError('stall', 'fastboot uses no control requests');
  }

  async bulkOut(endpoint: number, data: Uint8Array): Promise<number> {
    this.#alive();
    if (!this.#claimed || endpoint !== OUT) throw new UsbTransferError('stall', 'wrong endpoint');
    if (this.#expecting > 0) {
      if (data.length > this.#expecting - this.#received) {
        // More bytes than announced: the bootloader drops the transfer and the host sees an error.
        this.#expecting = 0;
        this.#download = null;
        throw new UsbTransferError('stall', 'too much data');
      }
      this.log.push(`<data ${data.length}>`);
      this.#download!.set(data, this.#received);
      this.#received += data.length;
      if (this.#received === this.#expecting) {
        this.#expecting = 0;
        this.#reply({ kind: 'okay', value: '' });
      }
      return data.length;
    }
    if (this.#replies.length > 0) throw new UsbTransferError('stall', 'previous reply not read');
    const command = new TextDecoder().decode(data);
    this.log.push(command);
    this.#run(command);
    return data.length;
  }

  async bulkIn(endpoint: number, length: number): Promise<Uint8Array> {
    this.#alive();
    if (!this.#claimed || endpoint !== IN) throw new UsbTransferError('stall', 'wrong endpoint');
    const next = this.#replies.shift();
    if (next === undefined) throw new UsbTransferError('timeout', 'no reply pending');
    if (this.rebooted === 'system' && this.#replies.length === 0) this.#gone = true;
    return next.subarray(0, length);
  }

  async claimInterface(n: number): Promise<void> {
    this.#alive();
    if (n !== 0) throw new UsbTransferError('io', 'no such interface');
    this.#claimed = true;
  }

  async selectAlternateInterface(): Promise<void> {}

  async configurationDescriptor(): Promise<Uint8Array> {
    this.#alive();
    return this.#config;
  }

  async stringDescriptor(): Promise<string> {
    return '';
  }

  async reset(): Promise<void> {}

  async close(): Promise<void> {}

  #alive(): void {
    if (this.#gone) throw new UsbTransferError('disconnected', 'the board rebooted');
  }

  #reply(response: FastbootResponse): void {
    this.#replies.push(encodeFastbootResponse(response));
  }

  #message(text: string): void {
    this.#reply({ kind: 'info', text });
    if (this.#options.text) this.#reply({ kind: 'text', text: `${text}\n` });
  }

  #run(command: string): void {
    const [verb, ...rest] = command.split(':');
    const argument = rest.join(':');
    switch (verb) {
      case 'getvar':
        return this.#getvar(argument);
      case 'download': {
        if (!/^[0-9a-f]{8}$/i.test(argument) || command !== downloadCommand(Number.parseInt(argument, 16)))
          return this.#reply({ kind: 'fail', reason: 'invalid download size' });
        const size = Number.parseInt(argument, 16);
        if (size === 0 || size > this.#max) return this.#reply({ kind: 'fail', reason: 'data too large' });
        this.#download = new Uint8Array(size);
        this.#received = 0;
        this.#expecting = size;
        return this.#reply({ kind: 'data', size });
      }
      case 'flash':
        return this.#flash(argument);
      case 'erase': {
        const partition = this.partitions.get(argument);
        if (!partition)
          return this.#reply({ kind: 'fail', reason: `partition '${argument}' does not exist` });
        partition.fill(0);
        this.#message(`erasing '${argument}'`);
        return this.#reply({ kind: 'okay', value: '' });
      }
      case 'reboot':
        this.rebooted = 'system';
        return this.#reply({ kind: 'okay', value: '' });
      case 'reboot-bootloader':
        this.rebooted = 'bootloader';
        return this.#reply({ kind: 'okay', value: '' });
      default:
        return this.#reply({ kind: 'fail', reason: 'unknown command' });
    }
  }

  #getvar(name: string): void {
    const partitionSize = /^partition-size:(.+)$/.exec(name);
    const value =
      name === 'max-download-size'
        ? `0x${this.#max.toString(16).padStart(8, '0')}`
        : name === 'product'
          ? 'deckhand-model'
          : name === 'serialno'
            ? (this.facts.serialNumber ?? '')
            : name === 'version'
              ? '0.4'
              : name === 'is-userspace'
                ? 'no'
                : partitionSize && this.partitions.has(partitionSize[1]!)
                  ? `0x${this.partitions.get(partitionSize[1]!)!.length.toString(16)}`
                  : null;
    if (value === null) this.#reply({ kind: 'fail', reason: 'GetVar Variable Not found' });
    else this.#reply({ kind: 'okay', value });
  }

  #flash(name: string): void {
    const partition = this.partitions.get(name);
    if (!partition) return this.#reply({ kind: 'fail', reason: `partition '${name}' does not exist` });
    const image = this.#download;
    if (image === null || this.#received !== image.length)
      return this.#reply({ kind: 'fail', reason: 'no image downloaded' });
    const failure = this.#options.failFlash;
    if (failure && failure.partition === name) {
      this.#options.failFlash = null;
      return this.#reply({ kind: 'fail', reason: failure.reason });
    }
    this.#message(`writing '${name}'...`);
    if (isSparseImage(image)) {
      try {
        applySparse(image, partition);
      } catch (error) {
        return this.#reply({ kind: 'fail', reason: `invalid sparse image: ${(error as Error).message}` });
      }
      this.sparseFlashes.set(name, (this.sparseFlashes.get(name) ?? 0) + 1);
    } else {
      if (image.length > partition.length)
        return this.#reply({ kind: 'fail', reason: 'image too large for partition' });
      partition.set(image);
    }
    this.#reply({ kind: 'okay', value: '' });
  }
}
