/**
 * An MCUmgr SMP client over any SmpTransport: requests matched to responses by sequence number,
 * resent on silence, device result codes turned into coded DeckhandErrors; and the commands Deckhand
 * uses: echo, MCUmgr params (packet size), image state (list, test, confirm), reset and a resumable
 * image upload that follows the `off` the device answers with.
 */
import { DeckhandError, type ErrorCode } from '../../../core/result';
import {
  IMAGE_COMMAND,
  IMG_MGMT_ERR,
  MGMT_ERR,
  OS_COMMAND,
  SMP_GROUP,
  smpErrorName,
} from '../../../core/smp/smp-groups';
import { SMP_HEADER_BYTES, SMP_OP } from '../../../core/smp/smp-header';
import {
  decodeSmpPacket,
  encodeSmpPacket,
  encodedBodyBytes,
  type SmpBody,
} from '../../../core/smp/smp-message';
import type { SmpTransport } from './smp-transport';

/** One image slot as the device lists it. */
export interface SmpImageSlot {
  readonly image: number;
  readonly slot: number;
  readonly version: string;
  /** The image's SHA-256 TLV, hex. */
  readonly hash: string;
  readonly bootable: boolean;
  readonly pending: boolean;
  readonly confirmed: boolean;
  readonly active: boolean;
  readonly permanent: boolean;
}

/** Client tuning. */
export interface SmpClientOptions {
  /** Wait for an answer this long before resending (default 2 s). */
  readonly timeoutMs?: number;
  /** Sends of one request before giving up with `link_lost` (default 4). */
  readonly attempts?: number;
  /** SMP version of requests: 1 (SMP v2, default) or 0 (SMP v1). */
  readonly version?: 0 | 1;
}

/** What an upload needs. */
export interface SmpUploadOptions {
  /** SHA-256 of the whole file: the device uses it to resume and to check the upload. */
  readonly sha256: string;
  readonly image?: number;
  readonly onProgress?: (offset: number) => void;
  readonly signal?: AbortSignal;
}

/** Talks SMP to one device. */
export class SmpClient {
  readonly #transport: SmpTransport;
  readonly #timeoutMs: number;
  readonly #attempts: number;
  #version: 0 | 1;
  #sequence = 0;
  #packetBytes: number;
  readonly #waiting = new Map<number, (body: SmpBody, group: number) => void>();

  constructor(transport: SmpTransport, options: SmpClientOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#attempts = options.attempts ?? 4;
    this.#version = options.version ?? 1;
    this.#packetBytes = transport.defaultPacket;
    transport.onPacket((packet) => {
      let decoded;
      try {
        decoded = decodeSmpPacket(packet);
      } catch {
        return; // A damaged answer is as good as none: the request is resent.
      }
      const { header, body } = decoded;
      if (header.op !== SMP_OP.readResponse && header.op !== SMP_OP.writeResponse) return;
      const waiter = this.#waiting.get(header.sequence);
      if (waiter === undefined) return; // A late answer to a request already resent.
      this.#waiting.delete(header.sequence);
      waiter(body, header.group);
    });
  }

  /** Largest SMP packet this client sends (after `negotiate`, the device's buffer size). */
  get packetBytes(): number {
    return this.#packetBytes;
  }

  /**
   * Asks the device for its buffer size (OS group, MCUmgr params) and uses it as the packet size.
   * A device without the command keeps the transport's default. Returns the size in use.
   */
  async negotiate(): Promise<number> {
    try {
      const body = await this.request(SMP_OP.read, SMP_GROUP.os, OS_COMMAND.mcumgrParams, {});
      const size = body['buf_size'];
      if (typeof size === 'number' && size >= 64)
        this.#packetBytes = Math.min(size, this.#transport.maxPacket);
    } catch (error) {
      if (!(error instanceof DeckhandError) || error.code !== 'not_supported') throw error;
    }
    return this.#packetBytes;
  }

  /** Echo: the device answers the same text (a liveness check). */
  async echo(text: string): Promise<string> {
    const body = await this.request(SMP_OP.write, SMP_GROUP.os, OS_COMMAND.echo, { d: text });
    return String(body['r'] ?? '');
  }

  /** Lists the image slots. */
  async imageList(): Promise<SmpImageSlot[]> {
    return parseImages(await this.request(SMP_OP.read, SMP_GROUP.image, IMAGE_COMMAND.state, {}));
  }

  /** Marks the image with this hash to boot once on trial at the next reset. */
  async test(hash: string): Promise<SmpImageSlot[]> {
    const body = { hash: Buffer.from(hash, 'hex'), confirm: false };
    return parseImages(await this.request(SMP_OP.write, SMP_GROUP.image, IMAGE_COMMAND.state, body));
  }

  /** Confirms the running image (no hash) or makes the image with this hash permanent. */
  async confirm(hash?: string): Promise<SmpImageSlot[]> {
    const body = hash === undefined ? { confirm: true } : { hash: Buffer.from(hash, 'hex'), confirm: true };
    return parseImages(await this.request(SMP_OP.write, SMP_GROUP.image, IMAGE_COMMAND.state, body));
  }

  /** Asks the device to reset; it answers first, then reboots. */
  async reset(): Promise<void> {
    await this.request(SMP_OP.write, SMP_GROUP.os, OS_COMMAND.reset, {});
  }

  /**
   * Uploads `bytes` into the image's spare slot. The first packet carries `len` and `sha`; a device
   * that already holds part of the same image answers with its offset and the upload goes on from
   * there. Every answer's `off` is where the next chunk starts. Returns the offset the upload
   * started from (0 for a fresh upload).
   */
  async upload(bytes: Buffer, options: SmpUploadOptions): Promise<number> {
    const sha = Buffer.from(options.sha256, 'hex');
    const image = options.image ?? 0;
    let offset = 0;
    let resumedFrom: number | null = null;
    let stalls = 0;
    while (offset < bytes.length || resumedFrom === null) {
      if (options.signal?.aborted)
        throw new DeckhandError('cancelled', 'The upload was cancelled; it resumes from where it stopped.');
      const first = offset === 0;
      const fields: Record<string, unknown> = first
        ? { image, len: bytes.length, off: 0, sha, data: new Uint8Array(0) }
        : { off: offset, data: new Uint8Array(0) };
      const room = this.#packetBytes - SMP_HEADER_BYTES - encodedBodyBytes(fields) - 4;
      if (room < 1)
        throw new DeckhandError(
          'message_too_large',
          `The device takes packets of ${this.#packetBytes} bytes, too small for an upload.`,
        );
      const data = bytes.subarray(offset, offset + room);
      const body = await this.request(SMP_OP.write, SMP_GROUP.image, IMAGE_COMMAND.upload, {
        ...fields,
        data,
      });
      const next = body['off'];
      if (typeof next !== 'number' || next < 0 || next > bytes.length)
        throw new DeckhandError(
          'protocol_error',
          'The device answered an upload chunk without a valid offset.',
        );
      if (resumedFrom === null) resumedFrom = next === data.length ? 0 : next;
      // The device answers the offset it expects; no progress many times running means it is stuck.
      stalls = next === offset ? stalls + 1 : 0;
      if (stalls > this.#attempts)
        throw new DeckhandError(
          'protocol_error',
          `The device keeps asking for offset ${next}; the upload cannot go on.`,
        );
      offset = next;
      options.onProgress?.(offset);
      if (bytes.length === 0) break;
    }
    return resumedFrom ?? 0;
  }

  /** Sends a request, resending on silence; returns the answer's body or throws its error. */
  async request(op: number, group: number, command: number, body: SmpBody): Promise<SmpBody> {
    for (let attempt = 1; attempt <= this.#attempts; attempt += 1) {
      const sequence = this.#sequence;
      this.#sequence = (this.#sequence + 1) & 0xff;
      const packet = encodeSmpPacket(
        { op: op as 0 | 2, version: this.#version, flags: 0, group, sequence, command },
        body,
      );
      const answer = await new Promise<{ body: SmpBody; group: number } | null>((resolve) => {
        const timer = setTimeout(() => {
          this.#waiting.delete(sequence);
          resolve(null);
        }, this.#timeoutMs);
        this.#waiting.set(sequence, (answerBody, answerGroup) => {
          clearTimeout(timer);
          resolve({ body: answerBody, group: answerGroup });
        });
        this.#transport.send(packet);
      });
      if (answer === null) continue;
      if (this.#version === 1 && answer.body['rc'] === MGMT_ERR.UNSUPPORTED_TOO_NEW) {
        // A device with SMP v1 only: speak v1 from now on and ask again.
        this.#version = 0;
        attempt -= 1;
        continue;
      }
      throwIfError(answer.body, group);
      return answer.body;
    }
    throw new DeckhandError(
      'link_lost',
      `The device stopped answering (${this.#attempts} tries, ${this.#timeoutMs} ms each). Check the cable or network and try again; an upload resumes where it stopped.`,
    );
  }

  /** Rejects pending requests and closes the transport. */
  close(): void {
    this.#waiting.clear();
    this.#transport.close();
  }
}

function throwIfError(body: SmpBody, group: number): void {
  const err = body['err'];
  if (err !== null && typeof err === 'object' && !(err instanceof Uint8Array)) {
    const e = err as Record<string, unknown>;
    const rc = typeof e['rc'] === 'number' ? e['rc'] : 1;
    const errGroup = typeof e['group'] === 'number' ? e['group'] : group;
    if (rc !== 0) throw smpError(errGroup, rc, true);
  }
  const rc = body['rc'];
  if (typeof rc === 'number' && rc !== MGMT_ERR.EOK) throw smpError(null, rc, false);
}

/** The coded error for a device result code (v2: group code; v1: MGMT_ERR). */
export function smpError(group: number | null, rc: number, v2: boolean): DeckhandError {
  const name = smpErrorName(v2 ? group : null, rc);
  const details = { group, rc, name };
  const make = (code: ErrorCode, message: string): DeckhandError =>
    new DeckhandError(code, `${message} (device said ${name}).`, details);
  if (!v2 || group !== SMP_GROUP.image) {
    switch (rc) {
      case MGMT_ERR.ENOTSUP:
        return make('not_supported', 'The device does not support this MCUmgr command');
      case MGMT_ERR.EBADSTATE:
        return make('invalid_state', 'The device refused: its images are not in a state that allows this');
      case MGMT_ERR.ENOMEM:
      case MGMT_ERR.EMSGSIZE:
        return make('message_too_large', 'The device has no room for this request');
      case MGMT_ERR.EACCESSDENIED:
        return make('invalid_state', 'The device refused the request');
      case MGMT_ERR.EINVAL:
        return make('protocol_error', 'The device rejected the request as invalid');
      default:
        return make('protocol_error', 'The device reported an error');
    }
  }
  switch (rc) {
    case IMG_MGMT_ERR.NO_FREE_SLOT:
    case IMG_MGMT_ERR.IMAGE_ALREADY_PENDING:
      return make(
        'invalid_state',
        'The spare image slot is in use: an image is pending or runs on trial. Confirm or roll back first',
      );
    case IMG_MGMT_ERR.IMAGE_CONFIRMATION_DENIED:
    case IMG_MGMT_ERR.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED:
      return make('invalid_state', 'The device refused to change which image boots next');
    case IMG_MGMT_ERR.HASH_NOT_FOUND:
    case IMG_MGMT_ERR.NO_IMAGE:
      return make('not_found', 'The device holds no image with that hash');
    case IMG_MGMT_ERR.INVALID_HASH:
      return make('hash_mismatch', 'The device found the uploaded image’s hash wrong; upload it again');
    case IMG_MGMT_ERR.INVALID_IMAGE_TOO_LARGE:
      return make('bad_target', 'The image is larger than the device’s image slot');
    case IMG_MGMT_ERR.INVALID_IMAGE_HEADER:
    case IMG_MGMT_ERR.INVALID_IMAGE_HEADER_MAGIC:
      return make('bad_target', 'The device does not take this file as an MCUboot image');
    case IMG_MGMT_ERR.INVALID_IMAGE_DATA_OVERRUN:
    case IMG_MGMT_ERR.INVALID_LENGTH:
    case IMG_MGMT_ERR.INVALID_OFFSET:
      return make('length_mismatch', 'The device got more image data than announced');
    default:
      return make('protocol_error', 'The device reported an image management error');
  }
}

function parseImages(body: SmpBody): SmpImageSlot[] {
  const images = body['images'];
  if (!Array.isArray(images))
    throw new DeckhandError('protocol_error', 'The device answered without an image list.');
  return images.map((raw: unknown) => {
    const entry = (raw ?? {}) as Record<string, unknown>;
    const hash = entry['hash'];
    return {
      image: typeof entry['image'] === 'number' ? entry['image'] : 0,
      slot: typeof entry['slot'] === 'number' ? entry['slot'] : 0,
      version: typeof entry['version'] === 'string' ? entry['version'] : '',
      hash: hash instanceof Uint8Array ? Buffer.from(hash).toString('hex') : '',
      bootable: entry['bootable'] === true,
      pending: entry['pending'] === true,
      confirmed: entry['confirmed'] === true,
      active: entry['active'] === true,
      permanent: entry['permanent'] === true,
    };
  });
}
