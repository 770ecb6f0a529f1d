/**
 * A model of a Zephyr device with MCUmgr and MCUboot (swap mode, two slots), for tests. It answers
 * SMP packets as the real firmware does, including its refusals, and serves them over a serial
 * console (socat pty, with console chatter between packets) and over UDP on 127.0.0.1.
 *
 * MCUboot behaviour modelled: uploads go to slot 1; `test` marks slot 1 pending; a reset swaps it
 * into slot 0 unconfirmed (slot 1 then holds the old image, reported `confirmed` as the revert
 * target); `confirm` makes it permanent; a reset without confirm swaps back. An invalid image in
 * slot 1 is erased at reset instead of booted.
 *
 * Refusals modelled (SMP v2 `err: { group, rc }` for v2 requests; translated `rc` for v1):
 * unknown group or command → MGMT_ERR_ENOTSUP; first upload packet without `len` → MGMT_ERR_EINVAL;
 * wrong offset → rc 0 with the `off` the device expects; `len` over the slot → INVALID_IMAGE_TOO_LARGE;
 * data past `len` → INVALID_IMAGE_DATA_OVERRUN; whole-upload `sha` mismatch → INVALID_HASH; a first
 * chunk without the MCUboot magic → INVALID_IMAGE_HEADER_MAGIC; upload while slot 1 is in use
 * (pending, or the revert target of an unconfirmed image) → NO_FREE_SLOT; `test` of the running
 * image → IMAGE_SETTING_TEST_TO_ACTIVE_DENIED; `test` of an unknown hash → HASH_NOT_FOUND; changing
 * the next boot while an unconfirmed image runs → IMAGE_CONFIRMATION_DENIED (the model's choice).
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { openSerialStream, type SerialStream } from '../../core/node-io/serial-stream';
import {
  IMAGE_COMMAND,
  IMG_MGMT_ERR,
  MGMT_ERR,
  OS_COMMAND,
  SMP_GROUP,
  imageErrToMgmtErr,
} from '../../core/smp/smp-groups';
import { SMP_OP, type SmpHeader } from '../../core/smp/smp-header';
import { decodeSmpPacket, encodeSmpPacket, type SmpBody } from '../../core/smp/smp-message';
import { SerialPacketDecoder, encodeSerialPacket } from '../../core/smp/smp-serial-framing';
import { IMAGE_MAGIC, parseMcubootImage, type McubootImageInfo } from '../../core/smp/mcuboot-image';

interface Slot {
  readonly bytes: Buffer;
  readonly info: McubootImageInfo | null;
}

/** Settings of the modelled device. */
export interface SmpDeviceOptions {
  /** The image running in slot 0, confirmed. */
  readonly initialImage: Buffer;
  /** Bytes a slot holds (default 1 MiB). */
  readonly slotBytes?: number;
  /** Largest SMP packet the device takes, reported by MCUmgr params (default 384, Zephyr's netbuf default). */
  readonly bufSize?: number;
  /** Whether the device has the MCUmgr params command (CONFIG_MCUMGR_GRP_OS_MCUMGR_PARAMS; default true). */
  readonly paramsCommand?: boolean;
  /** Whether the firmware speaks SMP v2 (default true); without it a v2 request gets MGMT_ERR_UNSUPPORTED_TOO_NEW. */
  readonly smpV2?: boolean;
  /** Milliseconds the device is silent while it reboots (default 100). */
  readonly bootMs?: number;
}

/** A modelled MCUmgr device. */
export class SmpDeviceModel {
  readonly slotBytes: number;
  readonly bufSize: number;
  readonly #params: boolean;
  readonly #bootMs: number;
  readonly #v2: boolean;
  #slot0: Slot;
  #slot0Confirmed = true;
  #slot1: Slot | null = null;
  #swap: 'none' | 'test' | 'perm' = 'none';
  #upload: { len: number; sha: string | null; off: number; bytes: Buffer } | null = null;
  #bootingUntil = 0;
  /** Largest request packet seen (header + CBOR), for MTU tests. */
  largestRequest = 0;
  /** Requests dropped because they were over bufSize. */
  oversizeDropped = 0;
  /** Once the upload offset reaches this, the device stops answering (a cut cable); null: never. */
  silentAfter: number | null = null;
  /** Resets done. */
  resets = 0;

  constructor(options: SmpDeviceOptions) {
    this.slotBytes = options.slotBytes ?? 1024 * 1024;
    this.bufSize = options.bufSize ?? 384;
    this.#params = options.paramsCommand ?? true;
    this.#bootMs = options.bootMs ?? 100;
    this.#v2 = options.smpV2 ?? true;
    this.#slot0 = { bytes: options.initialImage, info: parseMcubootImage(options.initialImage) };
  }

  /** Bytes of the upload in progress received so far (0 when none). */
  get uploadOffset(): number {
    return this.#upload?.off ?? 0;
  }

  /** The running image's bytes. */
  get runningImage(): Buffer {
    return this.#slot0.bytes;
  }

  /** Handles one request packet; returns the response packet, or null when the device stays silent. */
  handle(request: Buffer): Buffer | null {
    if (Date.now() < this.#bootingUntil) return null;
    if (this.silentAfter !== null && this.uploadOffset >= this.silentAfter) return null;
    this.largestRequest = Math.max(this.largestRequest, request.length);
    if (request.length > this.bufSize) {
      // The request does not fit the device's receive buffer: Zephyr drops it without an answer.
      this.oversizeDropped += 1;
      return null;
    }
    let header: SmpHeader;
    let body: SmpBody;
    try {
      ({ header, body } = decodeSmpPacket(request));
    } catch {
      return null;
    }
    const answer = (response: SmpBody): Buffer =>
      encodeSmpPacket(
        {
          op: header.op === SMP_OP.read ? SMP_OP.readResponse : SMP_OP.writeResponse,
          version: header.version,
          flags: 0,
          group: header.group,
          sequence: header.sequence,
          command: header.command,
        },
        response,
      );
    if (header.version === 1 && !this.#v2)
      return encodeSmpPacket(
        { ...header, op: header.op === SMP_OP.read ? SMP_OP.readResponse : SMP_OP.writeResponse, version: 0 },
        { rc: MGMT_ERR.UNSUPPORTED_TOO_NEW },
      );
    const imageError = (rc: number): SmpBody =>
      header.version === 1 ? { err: { group: SMP_GROUP.image, rc } } : { rc: imageErrToMgmtErr(rc) };
    const isRead = header.op === SMP_OP.read;
    const isWrite = header.op === SMP_OP.write;
    if (header.group === SMP_GROUP.os) {
      if (header.command === OS_COMMAND.echo && isWrite) return answer({ r: String(body['d'] ?? '') });
      if (header.command === OS_COMMAND.reset && isWrite) {
        const response = answer({});
        this.#reboot();
        return response;
      }
      if (header.command === OS_COMMAND.mcumgrParams && isRead && this.#params)
        return answer({ buf_size: this.bufSize, buf_count: 4 });
    }
    if (header.group === SMP_GROUP.image) {
      if (header.command === IMAGE_COMMAND.state && isRead) return answer(this.#stateBody());
      if (header.command === IMAGE_COMMAND.state && isWrite) {
        const rc = this.#stateWrite(body);
        return answer(rc === null ? this.#stateBody() : imageError(rc));
      }
      if (header.command === IMAGE_COMMAND.upload && isWrite) {
        const result = this.#uploadChunk(body);
        if (result.kind === 'mgmt') return answer({ rc: result.rc });
        if (result.kind === 'image') return answer(imageError(result.rc));
        return answer({ rc: 0, off: result.off });
      }
    }
    return answer({ rc: MGMT_ERR.ENOTSUP });
  }

  #stateBody(): SmpBody {
    const entry = (slot: Slot, index: number, flags: Record<string, boolean>): SmpBody => ({
      image: 0,
      slot: index,
      version: slot.info?.versionText ?? '0.0.0',
      hash: slot.info === null ? new Uint8Array(0) : Buffer.from(slot.info.hash, 'hex'),
      bootable: slot.info !== null,
      pending: flags['pending'] ?? false,
      confirmed: flags['confirmed'] ?? false,
      active: flags['active'] ?? false,
      permanent: flags['permanent'] ?? false,
    });
    const images: SmpBody[] = [entry(this.#slot0, 0, { active: true, confirmed: this.#slot0Confirmed })];
    if (this.#slot1 !== null && this.#upload === null)
      images.push(
        entry(this.#slot1, 1, {
          pending: this.#swap !== 'none',
          permanent: this.#swap === 'perm',
          confirmed: !this.#slot0Confirmed,
        }),
      );
    return { images, splitStatus: 0 };
  }

  /** null on success, else an IMG_MGMT_ERR code. */
  #stateWrite(body: SmpBody): number | null {
    const confirm = body['confirm'] === true;
    const hash = body['hash'] instanceof Uint8Array ? Buffer.from(body['hash']).toString('hex') : null;
    const running = this.#slot0.info?.hash ?? null;
    if (confirm && (hash === null || hash === running)) {
      this.#slot0Confirmed = true;
      return null;
    }
    if (hash === null) return IMG_MGMT_ERR.INVALID_HASH;
    if (hash === running) return IMG_MGMT_ERR.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED;
    if (this.#slot1 === null || this.#upload !== null || this.#slot1.info?.hash !== hash)
      return IMG_MGMT_ERR.HASH_NOT_FOUND;
    if (!this.#slot0Confirmed) return IMG_MGMT_ERR.IMAGE_CONFIRMATION_DENIED;
    this.#swap = confirm ? 'perm' : 'test';
    return null;
  }

  #uploadChunk(
    body: SmpBody,
  ): { kind: 'ok'; off: number } | { kind: 'mgmt'; rc: number } | { kind: 'image'; rc: number } {
    const off = body['off'];
    const data = body['data'];
    if (typeof off !== 'number' || !(data instanceof Uint8Array))
      return { kind: 'mgmt', rc: MGMT_ERR.EINVAL };
    if (typeof body['image'] === 'number' && body['image'] !== 0)
      return { kind: 'image', rc: IMG_MGMT_ERR.INVALID_SLOT };
    if (off === 0) {
      const len = body['len'];
      if (typeof len !== 'number') return { kind: 'mgmt', rc: MGMT_ERR.EINVAL };
      const sha = body['sha'] instanceof Uint8Array ? Buffer.from(body['sha']).toString('hex') : null;
      // Resume: the same image (by len and sha) is part-way in: answer where it stands.
      const current = this.#upload;
      if (current !== null && sha !== null && current.sha === sha && current.len === len && current.off > 0)
        return { kind: 'ok', off: current.off };
      if (this.#swap !== 'none' || !this.#slot0Confirmed)
        return { kind: 'image', rc: IMG_MGMT_ERR.NO_FREE_SLOT };
      if (len > this.slotBytes) return { kind: 'image', rc: IMG_MGMT_ERR.INVALID_IMAGE_TOO_LARGE };
      if (data.length < 4 || Buffer.from(data).readUInt32LE(0) !== IMAGE_MAGIC)
        return { kind: 'image', rc: IMG_MGMT_ERR.INVALID_IMAGE_HEADER_MAGIC };
      this.#slot1 = null;
      this.#upload = { len, sha, off: 0, bytes: Buffer.alloc(len) };
    }
    const upload = this.#upload;
    if (upload === null) return { kind: 'ok', off: 0 };
    if (off !== upload.off) return { kind: 'ok', off: upload.off };
    if (off + data.length > upload.len) return { kind: 'image', rc: IMG_MGMT_ERR.INVALID_IMAGE_DATA_OVERRUN };
    upload.bytes.set(data, off);
    upload.off += data.length;
    if (upload.off === upload.len) {
      this.#upload = null;
      if (upload.sha !== null && createHash('sha256').update(upload.bytes).digest('hex') !== upload.sha)
        return { kind: 'image', rc: IMG_MGMT_ERR.INVALID_HASH };
      let info: McubootImageInfo | null = null;
      try {
        info = parseMcubootImage(upload.bytes);
      } catch {
        info = null;
      }
      this.#slot1 = { bytes: upload.bytes, info };
    }
    return { kind: 'ok', off: upload.off };
  }

  #reboot(): void {
    this.resets += 1;
    this.#bootingUntil = Date.now() + this.#bootMs;
    this.#upload = null;
    if (this.#swap !== 'none') {
      const candidate = this.#slot1;
      if (candidate?.info?.hashValid) {
        this.#slot1 = this.#slot0;
        this.#slot0 = candidate;
        this.#slot0Confirmed = this.#swap === 'perm';
      } else {
        this.#slot1 = null;
      }
      this.#swap = 'none';
    } else if (!this.#slot0Confirmed && this.#slot1 !== null) {
      // MCUboot reverts an image that was tested but never confirmed.
      const previous = this.#slot1;
      this.#slot1 = this.#slot0;
      this.#slot0 = previous;
      this.#slot0Confirmed = true;
    }
  }
}

/** A running server for a model. */
export interface SmpModelServer {
  close(): void;
}

/** Serves the model on a serial path (a pty end), printing console chatter now and then. */
export function serveSmpSerial(model: SmpDeviceModel, path: string): SmpModelServer {
  const decoder = new SerialPacketDecoder();
  let stream: SerialStream | null = null;
  let answered = 0;
  stream = openSerialStream(
    path,
    (chunk) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind !== 'packet') continue;
        const response = model.handle(event.packet);
        if (response === null) continue;
        answered += 1;
        // A shell shares the console: log lines between packets must not confuse the client.
        if (answered % 7 === 0) stream?.write(Buffer.from('[00:00:01.000,000] <inf> app: still here\r\n'));
        stream?.write(encodeSerialPacket(response));
      }
    },
    () => undefined,
  );
  return { close: () => stream?.close() };
}

/** Serves the model over UDP on 127.0.0.1; resolves with the port. */
export async function serveSmpUdp(model: SmpDeviceModel): Promise<SmpModelServer & { port: number }> {
  const socket: Socket = createSocket('udp4');
  socket.on('message', (message, peer) => {
    const response = model.handle(message);
    if (response !== null) socket.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, close: () => socket.close() };
}
