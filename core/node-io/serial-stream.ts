/**
 * A serial device (a USB gadget's /dev/ttyGS0, a USB-serial adapter, or a pty in tests) as a byte
 * stream. Reading goes through a tty.ReadStream in raw mode (libuv's non-blocking tty handle); writing
 * goes through a second descriptor, because a tty.WriteStream on the same device stalls under load.
 * Used by the agent and by the laptop's agent client. Line settings (baud, 8N1) are the system's:
 * `stty` in the agent's service unit (docs/agent.md); the laptop side does not set termios yet.
 */
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
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
): SerialStream {
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
