/**
 * A serial port opened for watching: read-only (O_RDONLY) until the technician asks to type, when a
 * second, write-only descriptor is opened; switching back closes it. The line is put in raw mode at
 * the requested rate with `stty` (a real UART needs its baud; a pty ignores it), so what the device
 * prints arrives byte for byte.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, createWriteStream, openSync, type WriteStream } from 'node:fs';
import { ReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { DeckhandError } from '../../../core/result';

const execFileAsync = promisify(execFile);

/** An open console port. */
export interface ConsolePort {
  /** Opens (true) or closes (false) the write side. */
  setWritable(writable: boolean): void;
  /** Sends bytes; throws `not_allowed` while the port is read-only. */
  write(bytes: Buffer): void;
  close(): void;
}

/** Opens a console port; `onData` gets every chunk read, `onEnd` the reason the port went away. */
export type ConsolePortOpener = (
  path: string,
  baud: number,
  onData: (chunk: Buffer) => void,
  onEnd: (error: Error | null) => void,
) => Promise<ConsolePort>;

/** Opens a tty device read-only, in raw mode at `baud`. */
export const openConsolePort: ConsolePortOpener = async (path, baud, onData, onEnd) => {
  try {
    await execFileAsync('stty', ['-F', path, String(baud), 'raw', '-echo'], { timeout: 5000 });
  } catch (error) {
    const text = (error as { stderr?: string }).stderr?.trim() ?? (error as Error).message;
    throw new DeckhandError(
      /No such file|cannot open/i.test(text) ? 'not_found' : 'invalid_input',
      `Deckhand cannot open the serial port ${path}: ${text}. Check the cable and the port name, and that you may use it (the dialout group).`,
    );
  }
  let readFd: number;
  try {
    readFd = openSync(path, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    throw new DeckhandError(
      'not_found',
      `Deckhand cannot open the serial port ${path}: ${(error as Error).message}.`,
    );
  }
  let reader: ReadStream;
  try {
    reader = new ReadStream(readFd);
  } catch (error) {
    closeSync(readFd);
    throw new DeckhandError('invalid_input', `${path} is not a serial port: ${(error as Error).message}.`);
  }
  let writer: WriteStream | null = null;
  let closed = false;
  const end = (error: Error | null): void => {
    if (closed) return;
    closed = true;
    reader.destroy();
    writer?.destroy();
    writer = null;
    onEnd(error);
  };
  reader.on('data', (chunk: Buffer) => onData(chunk));
  // A pty whose other end closed reads EIO; a USB adapter pulled out, the same.
  reader.on('error', (error) => end(error));
  reader.on('end', () => end(null));
  return {
    setWritable(writable) {
      if (closed) return;
      if (writable && writer === null) {
        writer = createWriteStream('', {
          fd: openSync(path, constants.O_WRONLY | constants.O_NOCTTY),
          autoClose: true,
        });
        writer.on('error', (error) => end(error));
      } else if (!writable && writer !== null) {
        writer.destroy();
        writer = null;
      }
    },
    write(bytes) {
      if (writer === null)
        throw new DeckhandError(
          'not_allowed',
          'The console is read-only. Switch on Interactive to type to the device.',
        );
      writer.write(bytes);
    },
    close: () => end(null),
  };
};
