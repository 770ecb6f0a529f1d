import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseBmap } from '../../../../core/image-writer/bmap';

function bmapXml(body: string): string {
  const xml = `<?xml version="1.0" ?>
<bmap version="2.0">
  <ImageSize> 20000 </ImageSize>
  <BlockSize> 4096 </BlockSize>
  <BlocksCount> 5 </BlocksCount>
  <ChecksumType> sha256 </ChecksumType>
  <BmapFileChecksum> ${'0'.repeat(64)} </BmapFileChecksum>
  <BlockMap>
${body}
  </BlockMap>
</bmap>`;
  return xml.replace('0'.repeat(64), createHash('sha256').update(xml).digest('hex'));
}

describe('bmap files', () => {
  it('reads ranges in bytes, the last one cut at the image size', () => {
    const bmap = parseBmap(
      bmapXml(
        `<Range chksum="${'a'.repeat(64)}"> 0-1 </Range>\n<Range chksum="${'b'.repeat(64)}"> 4 </Range>`,
      ),
    );
    expect(bmap.ranges).toEqual([
      { offset: 0, length: 8192, checksum: 'a'.repeat(64) },
      { offset: 16384, length: 20000 - 16384, checksum: 'b'.repeat(64) },
    ]);
    expect(bmap.mappedBytes).toBe(8192 + 20000 - 16384);
  });

  it('refuses a damaged file (its own checksum), overlapping ranges and unknown versions', () => {
    const good = bmapXml('<Range> 0 </Range>');
    expect(() => parseBmap(good.replace('<Range> 0 </Range>', '<Range> 1 </Range>'))).toThrow(
      expect.objectContaining({ code: 'hash_mismatch' }),
    );
    expect(() => parseBmap(bmapXml('<Range> 2 </Range>\n<Range> 1 </Range>'))).toThrow(
      /overlap or are out of order/,
    );
    expect(() => parseBmap('<bmap version="3.0"></bmap>')).toThrow(/not supported/);
  });
});
