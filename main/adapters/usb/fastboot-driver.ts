/**
 * A fastboot host (the part of AOSP's fastboot tool Deckhand needs): finds the fastboot interface
 * (class 0xFF, subclass 0x42, protocol 0x03), sends commands, passes INFO and TEXT lines on, and
 * runs getvar, download, flash, erase and reboot. An image larger than the bootloader's
 * max-download-size goes as several sparse images (core/usb/sparse-image.ts), each downloaded and
 * flashed to the same partition, as `fastboot flash` does.
 */
import { DeckhandError } from '../../../core/result';
import {
  FASTBOOT_MAX_RESPONSE,
  downloadCommand,
  encodeFastbootCommand,
  isFastbootPartition,
  parseFastbootResponse,
  parseMaxDownloadSize,
} from '../../../core/usb/fastboot-protocol';
import { isSparseImage, splitSparse } from '../../../core/usb/sparse-image';
import { usbCall } from './dfu-driver';
import { findBulkInterface, type BulkEndpoints, type UsbTransport } from './usb-transport';

/** fastboot's interface triple. */
export const FASTBOOT_INTERFACE = { interfaceClass: 0xff, subclass: 0x42, protocol: 0x03 } as const;

/** Options of a fastboot session. */
export interface FastbootDriverOptions {
  /** INFO and TEXT lines from the bootloader. */
  readonly onMessage?: (line: string) => void;
  /** Wait for OKAY/FAIL after a command that writes storage (default 5 min: eMMC erases are slow). */
  readonly commandTimeoutMs?: number;
  /** Bytes per bulk OUT transfer while downloading (default 1 MiB). */
  readonly chunkBytes?: number;
}

/** One bulk transfer's worth of progress. */
export type FastbootProgress = (bytesDone: number) => void;

/** An open fastboot interface. */
export class FastbootDriver {
  readonly transport: UsbTransport;
  readonly endpoints: BulkEndpoints;
  readonly #options: FastbootDriverOptions;
  #maxDownload: number | null = null;

  private constructor(transport: UsbTransport, endpoints: BulkEndpoints, options: FastbootDriverOptions) {
    this.transport = transport;
    this.endpoints = endpoints;
    this.#options = options;
  }

  /** Finds and claims the fastboot interface. */
  static async open(transport: UsbTransport, options: FastbootDriverOptions = {}): Promise<FastbootDriver> {
    const endpoints = findBulkInterface(
      await usbCall(() => transport.configurationDescriptor()),
      FASTBOOT_INTERFACE,
    );
    if (endpoints === null)
      throw new DeckhandError(
        'not_supported',
        'This USB device has no fastboot interface. Check that the board is in fastboot mode.',
      );
    await usbCall(() => transport.claimInterface(endpoints.interfaceNumber));
    return new FastbootDriver(transport, endpoints, options);
  }

  /**
   * Sends one command and reads until OKAY, FAIL or DATA. INFO/TEXT lines go to onMessage. Returns
   * OKAY's value or DATA's size; FAIL throws `device_failed` with the bootloader's reason.
   */
  async command(
    command: string,
    timeoutMs = 10_000,
  ): Promise<{ kind: 'okay'; value: string } | { kind: 'data'; size: number }> {
    let encoded: Uint8Array;
    try {
      encoded = encodeFastbootCommand(command);
    } catch (error) {
      throw new DeckhandError('invalid_input', (error as Error).message);
    }
    await usbCall(() => this.transport.bulkOut(this.endpoints.outEndpoint, encoded, timeoutMs));
    return this.#response(command, timeoutMs);
  }

  async #response(
    command: string,
    timeoutMs: number,
  ): Promise<{ kind: 'okay'; value: string } | { kind: 'data'; size: number }> {
    let text = '';
    for (;;) {
      const packet = await usbCall(() =>
        this.transport.bulkIn(this.endpoints.inEndpoint, FASTBOOT_MAX_RESPONSE, timeoutMs),
      );
      const response = parseFastbootResponse(packet);
      if (response === null)
        throw new DeckhandError('protocol_error', `The bootloader sent an unexpected reply to "${command}".`);
      switch (response.kind) {
        case 'info':
          this.#options.onMessage?.(response.text);
          break;
        case 'text':
          // TEXT continues a line; lines end at a newline or at the final OKAY/FAIL.
          text += response.text;
          for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
            this.#options.onMessage?.(text.slice(0, nl));
            text = text.slice(nl + 1);
          }
          break;
        case 'okay':
        case 'data':
        case 'fail':
          if (text !== '') this.#options.onMessage?.(text);
          if (response.kind === 'fail')
            throw new DeckhandError(
              'device_failed',
              `The bootloader refused "${command.split(':')[0]}": ${response.reason || 'no reason given'}.`,
              { command, reason: response.reason },
            );
          return response;
      }
    }
  }

  /** getvar:NAME. */
  async getvar(name: string): Promise<string> {
    const reply = await this.command(`getvar:${name}`);
    if (reply.kind !== 'okay')
      throw new DeckhandError('protocol_error', `The bootloader answered getvar:${name} with DATA.`);
    return reply.value;
  }

  /** The largest download the bootloader takes in one go. */
  async maxDownloadSize(): Promise<number> {
    if (this.#maxDownload !== null) return this.#maxDownload;
    const size = parseMaxDownloadSize(await this.getvar('max-download-size'));
    if (size === null)
      throw new DeckhandError('protocol_error', 'The bootloader reported no usable max-download-size.');
    this.#maxDownload = size;
    return size;
  }

  /** download:%08x, the bytes, then OKAY. */
  async download(
    data: Uint8Array,
    onProgress: FastbootProgress = () => undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const reply = await this.command(downloadCommand(data.length));
    if (reply.kind !== 'data')
      throw new DeckhandError('protocol_error', 'The bootloader did not ask for the download data.');
    if (reply.size !== data.length)
      throw new DeckhandError(
        'protocol_error',
        `The bootloader asked for ${reply.size} bytes, not the ${data.length} offered.`,
      );
    const chunk = this.#options.chunkBytes ?? 1024 * 1024;
    for (let offset = 0; offset < data.length; offset += chunk) {
      if (signal?.aborted)
        throw new DeckhandError(
          'cancelled',
          'The download was cancelled; reboot the board into fastboot mode before trying again.',
        );
      const part = data.subarray(offset, Math.min(data.length, offset + chunk));
      await usbCall(() => this.transport.bulkOut(this.endpoints.outEndpoint, part, 30_000));
      onProgress(offset + part.length);
    }
    const done = await this.#response('download', this.#options.commandTimeoutMs ?? 300_000);
    if (done.kind !== 'okay')
      throw new DeckhandError('protocol_error', 'The bootloader did not confirm the download.');
  }

  /**
   * Writes `image` to `partition`: one download and flash when it fits max-download-size, else the
   * image split into sparse images, each downloaded and flashed in turn. Progress counts image bytes.
   */
  async flash(
    partition: string,
    image: Uint8Array,
    onProgress: FastbootProgress = () => undefined,
    signal?: AbortSignal,
  ): Promise<number> {
    checkPartition(partition);
    const max = await this.maxDownloadSize();
    let pieces: Uint8Array[];
    if (image.length <= max) pieces = [image];
    else if (isSparseImage(image))
      throw new DeckhandError(
        'not_supported',
        `The sparse image is larger than the bootloader's ${max}-byte download limit; ship it as a raw image and Deckhand splits it.`,
      );
    else pieces = splitSparse(image, max);
    const total = pieces.reduce((sum, p) => sum + p.length, 0);
    let sent = 0;
    for (const piece of pieces) {
      await this.download(
        piece,
        (done) => onProgress(Math.round(((sent + done) / total) * image.length)),
        signal,
      );
      sent += piece.length;
      await this.command(`flash:${partition}`, this.#options.commandTimeoutMs ?? 300_000);
    }
    return pieces.length;
  }

  /** erase:PARTITION. */
  async erase(partition: string): Promise<void> {
    checkPartition(partition);
    await this.command(`erase:${partition}`, this.#options.commandTimeoutMs ?? 300_000);
  }

  /** reboot (into the system) or reboot-bootloader. */
  async reboot(target: 'system' | 'bootloader' = 'system'): Promise<void> {
    await this.command(target === 'system' ? 'reboot' : 'reboot-bootloader');
  }

  /** Releases the device. */
  async close(): Promise<void> {
    await this.transport.close();
  }
}

function checkPartition(partition: string): void {
  if (!isFastbootPartition(partition))
    throw new DeckhandError(
      'invalid_input',
      `"${partition}" is not a partition name fastboot accepts. Fix the release's install parameters.`,
    );
}
