import { describe, expect, it } from 'vitest';
import { pack } from 'tar-stream';
import {
  decodePaxRecords,
  decodeTarHeader,
  isZeroBlock,
  paddedSize,
} from '../../../../core/bundle/tar-header';
import { DeckhandError } from '../../../../core/result';

/** The tar bytes tar-stream writes for `entries`. */
async function tarBytes(
  entries: { name: string; data?: string; type?: 'symlink' | 'file'; linkname?: string }[],
): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  for (const entry of entries)
    p.entry({ name: entry.name, type: entry.type ?? 'file', linkname: entry.linkname }, entry.data ?? '');
  p.finalize();
  await new Promise<void>((resolve) => p.on('end', () => resolve()));
  return Buffer.concat(chunks);
}

describe('tar headers', () => {
  it('decodes what tar-stream writes, including long names split into prefix and name', async () => {
    const long = `targets/releases/edge-app/2.4.1/${'a'.repeat(64)}.app.img`;
    const bytes = await tarBytes([
      { name: long, data: 'hello' },
      { name: 'targets/l', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    const first = decodeTarHeader(bytes.subarray(0, 512));
    expect(first).toEqual({ name: long, type: 'file', size: 5, linkName: '' });
    const second = decodeTarHeader(bytes.subarray(1024, 1536));
    expect(second).toMatchObject({ name: 'targets/l', type: 'symlink', linkName: '/etc/passwd' });
    expect(isZeroBlock(bytes.subarray(1536, 2048))).toBe(true);
    expect(paddedSize(5)).toBe(512);
    expect(paddedSize(0)).toBe(0);
  });

  it('refuses garbage and a corrupted checksum as not_a_bundle', async () => {
    const bytes = await tarBytes([{ name: 'metadata/x.json', data: '{}' }]);
    const block = Buffer.from(bytes.subarray(0, 512));
    block[10] = block[10]! ^ 0xff;
    expect(() => decodeTarHeader(block)).toThrow(DeckhandError);
    expect(() => decodeTarHeader(Buffer.alloc(512, 'x'))).toThrow(/not a Deckhand bundle/);
  });

  it('reads pax path and size records and refuses malformed ones', () => {
    const record = (text: string): string => {
      let length = text.length + 3;
      if (`${length} ${text}\n`.length !== length) length += 1;
      return `${length} ${text}\n`;
    };
    expect(
      decodePaxRecords(Buffer.from(record('path=targets/x') + record('size=12') + record('mtime=1'))),
    ).toEqual({ path: 'targets/x', size: 12 });
    expect(() => decodePaxRecords(Buffer.from('99 path=x\n'))).toThrow(DeckhandError);
    expect(() => decodePaxRecords(Buffer.from(record('size=-1')))).toThrow(DeckhandError);
  });
});
