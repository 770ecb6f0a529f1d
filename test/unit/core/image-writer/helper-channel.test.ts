import { describe, expect, it } from 'vitest';
import { FrameReader, FrameWriter } from '../../../../core/image-writer/helper-channel';

const key = Buffer.alloc(32, 9);

describe('helper channel frames', () => {
  it('carries messages in order, split anywhere', () => {
    const writer = new FrameWriter(key);
    const reader = new FrameReader(key);
    const bytes = Buffer.concat([writer.frame({ a: 1 }), writer.frame({ b: 'two' })]);
    const got = [...bytes].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(got).toEqual([{ a: 1 }, { b: 'two' }]);
  });

  it('refuses a forged, replayed or altered frame', () => {
    const forged = new FrameWriter(Buffer.alloc(32, 1)).frame({ a: 1 });
    expect(() => new FrameReader(key).push(forged)).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    );
    const frame = new FrameWriter(key).frame({ a: 1 });
    const reader = new FrameReader(key);
    reader.push(frame);
    expect(() => reader.push(frame)).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    const altered = Buffer.from(new FrameWriter(key).frame({ a: 1 }));
    altered[6] = altered[6]! ^ 1;
    expect(() => new FrameReader(key).push(altered)).toThrow(
      expect.objectContaining({ code: 'unauthorized' }),
    );
  });
});
