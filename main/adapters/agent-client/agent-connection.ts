/**
 * Reaching a Deckhand agent by its device URI: `tcp://` is TLS 1.3 with the device certificate
 * pinned by SHA-256 fingerprint (no CA: the device made its own certificate); `serial://` is the
 * reliable link (framing, CRC, selective retransmit) over the port. Either way the result is a
 * greeted AgentClient (hello done, version negotiated).
 */
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { AgentUri } from '../../../core/device-uri/device-uri';
import { PAYLOAD_CRC_OPTIONAL_SINCE, PROTOCOL_VERSIONS } from '../../../core/protocol/messages';
import { ReliableLink, type ReliableLinkOptions } from '../../../core/protocol/reliable-link';
import { RpcPeer, unwrap } from '../../../core/protocol/rpc-peer';
import { DeckhandError, toErrorData, type ErrorCode } from '../../../core/result';
import { AgentClient, type UploadOptions } from './agent-client';
import { openSerialStream } from '../../../core/node-io/serial-stream';

/** How to connect. */
export interface ConnectOptions {
  /**
   * TLS only: the pinned certificate fingerprint (SHA-256, hex, colons optional). `null` accepts any
   * certificate: only for first contact, after which the caller shows the fingerprint to pin.
   */
  readonly fingerprint: string | null;
  readonly timeoutMs?: number;
  /** Ping after this long without sending (default 5 s). */
  readonly heartbeatMs?: number;
  /** Give up after this long without hearing from the device (default 20 s). */
  readonly idleTimeoutMs?: number;
  readonly clientVersion?: string;
  /** Serial link tuning (tests use small values). */
  readonly link?: Partial<Omit<ReliableLinkOptions, 'write' | 'role' | 'onData' | 'onOpen' | 'onClose'>>;
}

/** Normalises a fingerprint for comparison. */
export function normaliseFingerprint(text: string): string {
  return text.replaceAll(':', '').toLowerCase();
}

/** Connects, checks the pin, says hello; throws a coded DeckhandError. */
export async function connectAgent(uri: AgentUri, options: ConnectOptions): Promise<AgentClient> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const peerOptions = {
    heartbeatMs: options.heartbeatMs ?? 5_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 20_000,
  };
  let peer: RpcPeer;
  let fingerprint: string | null = null;
  let closeTransport: () => void;
  let lineBytesPerSec: number | null = null;
  if (uri.scheme === 'tcp') {
    const socket = await openTls(uri.host, uri.port, timeoutMs);
    fingerprint = socket.getPeerCertificate().fingerprint256;
    if (
      options.fingerprint !== null &&
      normaliseFingerprint(options.fingerprint) !== normaliseFingerprint(fingerprint)
    ) {
      socket.destroy();
      throw new DeckhandError(
        'untrusted_device',
        `The device at ${uri.uri} presented a different certificate than the one pinned for it. It may have been reset or replaced, or someone is in the way. Check the device before trusting it again.`,
        { seen: fingerprint },
      );
    }
    socket.setNoDelay(true);
    peer = new RpcPeer({
      write: (bytes) => socket.write(bytes),
      writev: (parts) => {
        socket.cork();
        for (const part of parts) socket.write(part);
        socket.uncork();
      },
      closeTransport: () => socket.destroy(),
      ...peerOptions,
    });
    socket.on('data', (chunk: Buffer) => peer.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () =>
      peer.close({ code: 'link_lost', message: `The connection to ${uri.uri} was lost.` }),
    );
    closeTransport = () => socket.destroy();
  } else {
    let link: ReliableLink | null = null;
    const serial = openSerialStream(
      uri.path,
      (chunk) => link?.receive(chunk),
      () => undefined,
      uri.baud,
    );
    lineBytesPerSec = uri.pace ? uri.baud / 10 : null;
    const opened = new ReliableLink({
      lineBytesPerSec: lineBytesPerSec ?? 0,
      ...options.link,
      role: 'initiator',
      write: (bytes) => serial.write(bytes),
      onData: (bytes) => peer.receive(bytes),
      onClose: (error) => peer?.close(error),
    });
    link = opened;
    peer = new RpcPeer({
      write: (bytes) => {
        if (opened.isOpen) opened.send(bytes);
      },
      closeTransport: () => {
        opened.close();
        serial.close();
      },
      ...peerOptions,
    });
    closeTransport = () => {
      opened.close();
      serial.close();
    };
    try {
      await opened.open();
    } catch (error) {
      serial.close();
      throw new DeckhandError(
        'link_lost',
        (error as { message?: string }).message ?? 'The serial link did not open.',
      );
    }
  }
  const hello = await peer.request(
    'hello',
    { versions: [...PROTOCOL_VERSIONS], client: { name: 'deckhand', version: options.clientVersion ?? '0' } },
    { timeoutMs },
  );
  if (!hello.ok) {
    closeTransport();
    throw new DeckhandError(hello.error.code, hello.error.message, hello.error.details);
  }
  const greeted = unwrap(hello);
  if (greeted.version >= PAYLOAD_CRC_OPTIONAL_SINCE) peer.omitPayloadCrc();
  return new AgentClient(peer, greeted, fingerprint, closeTransport, lineBytesPerSec);
}

function openTls(host: string, port: number, timeoutMs: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The device certificate is self-made; trust comes from the pinned fingerprint, checked by the caller.
    const socket = tlsConnect({
      host,
      port,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      // AES-128-GCM first: as strong as a link needs and a third cheaper than AES-256 on a laptop CPU.
      ciphers: 'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new DeckhandError(
          'timeout',
          `The device at ${host}:${port} did not answer within ${timeoutMs / 1000} s.`,
        ),
      );
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new DeckhandError(
          'link_lost',
          `Deckhand could not reach the device at ${host}:${port} (${error.code ?? error.message}).`,
        ),
      );
    });
  });
}

/** Error codes after which an upload is worth retrying on a fresh connection. */
const RETRYABLE: readonly ErrorCode[] = ['link_lost', 'timeout', 'cancelled'];

/** Uploads with automatic reconnect and resume after cuts; gives up after `maxAttempts` connections. */
export async function uploadWithResume(
  connect: () => Promise<AgentClient>,
  path: string,
  options: UploadOptions & { readonly maxAttempts?: number; readonly retryDelayMs?: number },
): Promise<{ sha256: string; length: number; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 50;
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let client: AgentClient | null = null;
    try {
      client = await connect();
      const done = await client.upload(path, options);
      client.close();
      return { ...done, attempts };
    } catch (error) {
      client?.close();
      const data = toErrorData(error);
      if (!RETRYABLE.includes(data.code)) throw error;
      if (attempts >= maxAttempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 100));
    }
  }
}
