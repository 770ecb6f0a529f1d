/**
 * How SMP packets reach an MCUmgr device: a serial console (base64 lines, core/smp/smp-serial-framing)
 * or UDP (one packet per datagram). Both hand whole SMP packets up and take whole packets down.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { DeviceUri } from '../../../core/device-uri/device-uri';
import { openSerialStream } from '../../../core/node-io/serial-stream';
import { DeckhandError } from '../../../core/result';
import { SerialPacketDecoder, encodeSerialPacket } from '../../../core/smp/smp-serial-framing';

/** A packet pipe to one device. */
export interface SmpTransport {
  /** Largest SMP packet the transport itself can carry (the device may take less: MCUmgr params). */
  readonly maxPacket: number;
  /** Packet size to use until the device reports its buffer (Zephyr's default netbuf is 384 bytes). */
  readonly defaultPacket: number;
  send(packet: Buffer): void;
  /** Registers the receiver of every whole packet. */
  onPacket(handler: (packet: Buffer) => void): void;
  close(): void;
}

type SmpUri = Extract<DeviceUri, { scheme: 'smp+serial' | 'smp+udp' }>;

/** Opens the transport a `smp+serial` or `smp+udp` URI names. */
export async function openSmpTransport(uri: SmpUri): Promise<SmpTransport> {
  return uri.scheme === 'smp+serial'
    ? openSerialTransport(uri.path, uri.baud, uri.uri)
    : openUdpTransport(uri.host, uri.port);
}

function openSerialTransport(path: string, baud: number, shown: string): SmpTransport {
  const decoder = new SerialPacketDecoder();
  let handler: (packet: Buffer) => void = () => undefined;
  let stream;
  try {
    stream = openSerialStream(
      path,
      (chunk) => {
        // Console lines and damaged packets are skipped: the request times out and is sent again.
        for (const event of decoder.push(chunk)) if (event.kind === 'packet') handler(event.packet);
      },
      () => undefined,
      baud,
    );
  } catch (error) {
    if (error instanceof DeckhandError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DeckhandError(
      code === 'ENOENT' ? 'not_found' : 'link_lost',
      code === 'ENOENT'
        ? `There is no serial port ${path} (${shown}). Check the cable and the port name.`
        : `The serial port ${path} could not be opened (${code ?? 'error'}). Close other programs using it, or check permissions (the dialout group).`,
    );
  }
  const opened = stream;
  return {
    maxPacket: 0xffff - 2,
    defaultPacket: 384,
    send: (packet) => opened.write(encodeSerialPacket(packet)),
    onPacket: (next) => {
      handler = next;
    },
    close: () => opened.close(),
  };
}

async function openUdpTransport(host: string, port: number): Promise<SmpTransport> {
  const socket: Socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
  let handler: (packet: Buffer) => void = () => undefined;
  socket.on('message', (message) => handler(message));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', (error) =>
      reject(new DeckhandError('link_lost', `Could not reach ${host}:${port} over UDP (${error.message}).`)),
    );
    socket.connect(port, host, () => resolve());
  });
  let closed = false;
  return {
    // One SMP packet per datagram: the largest UDP payload over IPv4.
    maxPacket: 65_507,
    defaultPacket: 384,
    send: (packet) => {
      if (!closed) socket.send(packet);
    },
    onPacket: (next) => {
      handler = next;
    },
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
