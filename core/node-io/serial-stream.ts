/**
 * A serial device (a USB gadget's /dev/ttyGS0, a USB-serial adapter, or a pty in tests) as a byte
 * stream. Reading goes through a tty.ReadStream in raw mode (libuv's non-blocking tty handle); writing
 * goes through a second descriptor, because a tty.WriteStream on the same device stalls under load.
 * Used by the agent and by the laptop's adapters. Line settings: given a baud rate, the line is set
 * to it, raw, 8N1, no flow control (`stty`, the portable way to reach termios from Node) before it is
 * opened; the agent's side is usually set by its service unit (docs/agent.md).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { DeckhandError } from '../result';
import { ReadStream } from 'node:tty';

/** An open serial byte stream. */
export interface SerialStream {
  readonly write: (bytes: Buffer) => void;
  readonly close: () => void;
}

/** Opens `path` for reading and writing; `onData` receives every chunk read. */
export function openSerialStream(
  path: string,
  onData: (chunk: Buffer) => void,
  onError: (error: Error) => void,
  baud?: number,
): SerialStream {
  if (baud !== undefined) configureLine(path, baud);
  const flags = constants.O_RDWR | constants.O_NOCTTY;
  const readFd = openSync(path, flags);
  let reader: ReadStream;
  try {
    reader = new ReadStream(readFd);
    reader.setRawMode(true);
  } catch (error) {
    closeSync(readFd);
    throw error;
  }
  const writer = createWriteStream('', { fd: openSync(path, flags), autoClose: true });
  reader.on('data', (chunk: Buffer) => onData(chunk));
  reader.on('error', onError);
  writer.on('error', onError);
  let closed = false;
  return {
    write: (bytes) => {
      if (!closed) writer.write(bytes);
    },
    close: () => {
      if (closed) return;
      closed = true;
      reader.destroy();
      writer.destroy();
    },
  };
}

/** Sets a serial line to `baud`, raw 8N1 without flow control or echo. */
export function configureLine(path: string, baud: number): void {
  const device = process.platform === 'darwin' ? '-f' : '-F';
  try {
    execFileSync(
      'stty',
      [
        device,
        path,
        String(baud),
        'raw',
        '-echo',
        'cs8',
        '-cstopb',
        '-parenb',
        '-crtscts',
        '-ixon',
        '-ixoff',
        'clocal',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 },
    );
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new DeckhandError(
      'link_lost',
      `Deckhand could not set ${path} to ${baud} baud${stderr ? ` (${stderr})` : ''}. Check that the port exists and that you may use it (the dialout group on Linux).`,
    );
  }
}
