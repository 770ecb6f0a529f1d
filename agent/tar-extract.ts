/**
 * Unpacks a release archive (install method `archive`) into a staging folder. The archive was
 * verified against HQ's signature before this runs, yet names are still checked (checkEntryName) and
 * only regular files and folders are written: a link could point a later write outside the slot.
 */
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { checkEntryName } from '../core/bundle/bundle-layout';
import { DeckhandError } from '../core/result';

/** Extracts `archive` (an uncompressed tar) into `into`; file modes keep their executable bits. */
export async function extractTar(archive: string, into: string): Promise<void> {
  const extractor = extract();
  const done = (async () => {
    for await (const entry of extractor) {
      const name = checkEntryName(entry.header.name);
      const path = join(into, name);
      if (entry.header.type === 'directory') {
        mkdirSync(path, { recursive: true });
        entry.resume();
      } else if (entry.header.type === 'file') {
        mkdirSync(dirname(path), { recursive: true });
        await pipeline(entry, createWriteStream(path, { mode: (entry.header.mode ?? 0o644) & 0o755 }));
      } else {
        entry.resume();
        throw new DeckhandError(
          'unsafe_path',
          `The release archive holds ${name}, a ${entry.header.type ?? 'special'} entry; only files and folders are installed.`,
        );
      }
    }
  })();
  await Promise.all([pipeline(createReadStream(archive), extractor), done]);
}
