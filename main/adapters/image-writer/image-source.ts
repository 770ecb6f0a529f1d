/**
 * Image sources for the drive writer: raw images (.img, .raw, .wic, .iso, .bin) and compressed ones,
 * decompressed as a stream (never to a temporary file): .gz with Node's zlib, .xz with xz-decompress
 * (WebAssembly), .zst with fzstd (pure JavaScript), .zip with yauzl (the first image file inside, or
 * the only file). The size is known for raw images and zip entries, unknown for the rest.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import xzDecompress from 'xz-decompress';
import yauzl from 'yauzl';
import { DeckhandError } from '../../../core/result';

/** The compression of a source, from its name. */
export type SourceFormat = 'raw' | 'gz' | 'xz' | 'zst' | 'zip';

/** An open source: the image's bytes as a stream. */
export interface ImageSource {
  readonly format: SourceFormat;
  /** Uncompressed size in bytes, when the format says it. */
  readonly size: number | null;
  readonly stream: Readable;
}

const CHUNK = 4 * 1024 * 1024;
const IMAGE_NAMES = /\.(img|raw|wic|iso|bin|sdcard)$/i;

/** Tells the format from the file name. */
export function sourceFormat(path: string): SourceFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.gz')) return 'gz';
  if (lower.endsWith('.xz')) return 'xz';
  if (lower.endsWith('.zst') || lower.endsWith('.zstd')) return 'zst';
  if (lower.endsWith('.zip')) return 'zip';
  return 'raw';
}

/** Opens `path` and returns its decompressed bytes as a stream. */
export async function openImageSource(path: string): Promise<ImageSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new DeckhandError('not_found', `The image ${path} does not exist. Check the path.`);
  }
  if (!info.isFile()) throw new DeckhandError('invalid_input', `${path} is not an image file.`);
  const format = sourceFormat(path);
  const file = (): Readable => createReadStream(path, { highWaterMark: CHUNK });
  const damaged = (error: Error): DeckhandError =>
    new DeckhandError(
      'truncated',
      `The image ${path} is damaged or cut short (${error.message}). Copy it again.`,
    );
  const guard = (stream: Readable): Readable => {
    // Decompressors throw their own errors; the writer sees one coded error.
    const out = new Transform({ transform: (chunk, _enc, done) => done(null, chunk), highWaterMark: CHUNK });
    stream.on('error', (error) => out.destroy(error instanceof DeckhandError ? error : damaged(error)));
    return stream.pipe(out);
  };
  switch (format) {
    case 'raw':
      return { format, size: info.size, stream: file() };
    case 'gz':
      return { format, size: null, stream: guard(file().pipe(createGunzip({ chunkSize: 1024 * 1024 }))) };
    case 'xz': {
      // A CommonJS package: its class sits on the default export under Node's ESM loader.
      const web = new xzDecompress.XzReadableStream(
        Readable.toWeb(file()) as unknown as ReadableStream<Uint8Array>,
      );
      return { format, size: null, stream: guard(Readable.fromWeb(web as never)) };
    }
    case 'zst':
      return { format, size: null, stream: guard(file().pipe(zstdTransform())) };
    case 'zip':
      return openZip(path, damaged);
  }
}

function zstdTransform(): Transform {
  const decoder = new Decompress();
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  decoder.ondata = (chunk) => {
    // Copied: the decoder may hand out views of its own window.
    transform.push(Buffer.from(chunk));
  };
  return transform;
}

function openZip(path: string, damaged: (error: Error) => DeckhandError): Promise<ImageSource> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) return reject(damaged(error ?? new Error('unreadable zip')));
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) entries.push(entry);
        zip.readEntry();
      });
      zip.on('error', (zipError: Error) => reject(damaged(zipError)));
      zip.on('end', () => {
        const entry =
          entries.find((e) => IMAGE_NAMES.test(e.fileName)) ??
          (entries.length === 1 ? entries[0] : undefined);
        if (entry === undefined) {
          zip.close();
          return reject(
            new DeckhandError(
              'not_found',
              `The zip ${path} holds no image file (.img, .raw, .wic, .iso). Check the archive.`,
            ),
          );
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(damaged(streamError ?? new Error('unreadable entry')));
          const out = new Transform({
            transform: (chunk, _enc, done) => done(null, chunk),
            highWaterMark: CHUNK,
          });
          stream.on('error', (e) => out.destroy(damaged(e)));
          out.on('close', () => zip.close());
          resolve({ format: 'zip', size: entry.uncompressedSize, stream: stream.pipe(out) });
        });
      });
      zip.readEntry();
    });
  });
}
