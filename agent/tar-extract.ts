/**
 * Unpacks a release archive (install method `archive`) into a staging folder. The archive was
 * verified against HQ's signature before this runs, yet names are still checked (checkEntryName) and
 * only regular files and folders are written: a link could point a later write outside the slot.
 */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { checkEntryName } from '../core/bundle/bundle-layout';
import { DeckhandError } from '../core/result';

/**
 * Extracts `archive` (an uncompressed tar) into `into`. File modes keep their executable bits and
 * each file is flushed to the disk before it counts as written. The archive's own folder entry (`./`,
 * as `tar -C dir .` writes it) is the folder itself. Every byte read from the archive, to its end, is
 * shown to `onBytes` (the installer hashes what it unpacks).
 */
export async function extractTar(
  archive: string,
  into: string,
  onBytes: (chunk: Buffer) => void = () => undefined,
): Promise<void> {
  const extractor = extract();
  const done = (async () => {
    for await (const entry of extractor) {
      if (entry.header.type === 'directory' && isArchiveRoot(entry.header.name)) {
        entry.resume();
        continue;
      }
      const name = checkEntryName(entry.header.name);
      const path = join(into, name);
      if (entry.header.type === 'directory') {
        mkdirSync(path, { recursive: true });
        entry.resume();
      } else if (entry.header.type === 'file') {
        mkdirSync(dirname(path), { recursive: true });
        const mode = (entry.header.mode ?? 0o644) & 0o755;
        await pipeline(entry, createWriteStream(path, { mode, flush: true }));
      } else {
        entry.resume();
        throw new DeckhandError(
          'unsafe_path',
          `The release archive holds ${name}, a ${entry.header.type ?? 'special'} entry; only files and folders are installed.`,
        );
      }
    }
  })();
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk);
      callback(null, chunk);
    },
  });
  await Promise.all([
    pipeline(createReadStream(archive, { highWaterMark: 1024 * 1024 }), observe, extractor),
    done,
  ]);
}

/** `.`, `./` (and repeats): the folder the archive was made from. */
function isArchiveRoot(name: string): boolean {
  return /^(\.\/?)+$/.test(name);
}
