import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameFlag,
  FrameType,
  encodeFrame,
  encodeFrameParts,
  type Frame,
} from '../../../../core/protocol/frame-codec';
import { encodeMessage, encodeMessageParts } from '../../../../core/protocol/message-codec';

function decodeAll(bytes: Buffer, maxPayload = 4096, chunk = 7): { frames: Frame[]; oversized: number } {
  const frames: Frame[] = [];
  let oversized = 0;
  const decoder = new FrameDecoder(maxPayload, {
    onFrame: (f) => frames.push(f),
    onOversized: () => (oversized += 1),
  });
  for (let i = 0; i < bytes.length; i += chunk) decoder.push(bytes.subarray(i, i + chunk));
  return { frames, oversized };
}

const payloads = Array.from({ length: 20 }, (_, i) => randomBytes(1 + ((i * 97) % 1000)));
const stream = (): Buffer => Buffer.concat(payloads.map((p, i) => encodeFrame(FrameType.data, i, p)));

describe('frame codec', () => {
  it('frames a payload given in parts byte for byte as the joined payload, without copying the parts', () => {
    const body = randomBytes(256 * 1024);
    const envelope = { t: 'req', id: 7, verb: 'upload.data', params: { offset: 0 } };
    const parts = encodeFrameParts(FrameType.message, 42, encodeMessageParts(envelope, body));
    expect(Buffer.concat(parts)).toEqual(encodeFrame(FrameType.message, 42, encodeMessage(envelope, body)));
    expect(parts).toContain(body);
    expect(Buffer.concat(encodeFrameParts(FrameType.message, 1, [Buffer.alloc(0)]))).toEqual(
      encodeFrame(FrameType.message, 1, Buffer.alloc(0)),
    );
  });

  it('round-trips frames split across arbitrary chunks', () => {
    for (const chunk of [1, 3, 16, 4096]) {
      const { frames } = decodeAll(stream(), 4096, chunk);
      expect(frames.map((f) => f.seq)).toEqual(payloads.map((_, i) => i));
      frames.forEach((f, i) => expect(f.payload.equals(payloads[i]!)).toBe(true));
    }
  });

  it('gives each payload memory of its own, which its receiver may keep or move', () => {
    const { frames } = decodeAll(stream(), 4096, 700);
    for (const frame of frames) {
      expect(frame.payload.byteOffset).toBe(0);
      expect(frame.payload.buffer.byteLength).toBe(frame.payload.length);
    }
  });

  it('skips garbage before, between and after frames', () => {
    const parts = payloads.flatMap((p, i) => [
      randomBytes(i % 5 === 0 ? 33 : 0),
      encodeFrame(FrameType.data, i, p),
    ]);
    const { frames } = decodeAll(Buffer.concat([randomBytes(100), ...parts, Buffer.from([0xde])]));
    expect(frames.map((f) => f.seq)).toEqual(payloads.map((_, i) => i));
  });

  it('loses only the damaged frame after a lost byte or a bit flip, then resynchronises', () => {
    const bytes = stream();
    const frameStarts: number[] = [];
    let at = 0;
    for (const p of payloads) {
      frameStarts.push(at);
      at += p.length + 20;
    }
    // Drop one byte inside frame 5's payload, flip a bit in frame 9's header length, and in frame 14's payload.
    const flipped = Buffer.from(bytes);
    flipped[frameStarts[9]! + 10]! ^= 0x04;
    flipped[frameStarts[14]! + 30]! ^= 0x01;
    const lost = Buffer.concat([
      flipped.subarray(0, frameStarts[5]! + 25),
      flipped.subarray(frameStarts[5]! + 26),
    ]);
    const { frames } = decodeAll(lost);
    expect(frames.map((f) => f.seq)).toEqual(
      payloads.map((_, i) => i).filter((i) => ![5, 9, 14].includes(i)),
    );
  });

  it('reports an intact header announcing an oversized payload without waiting for it', () => {
    const big = encodeFrame(FrameType.message, 0, Buffer.alloc(5000));
    const { frames, oversized } = decodeAll(
      Buffer.concat([big.subarray(0, 16), encodeFrame(FrameType.data, 1, Buffer.from('ok'))]),
    );
    expect(oversized).toBe(1);
    expect(frames.map((f) => f.seq)).toEqual([1]);
  });

  it('takes a frame without its payload CRC only where the stream below is trusted', () => {
    const payload = randomBytes(3000);
    const unchecked = Buffer.concat(
      encodeFrameParts(FrameType.message, 0, [payload], FrameFlag.noPayloadCrc),
    );
    expect(unchecked.readUInt32BE(unchecked.length - 4)).toBe(0);
    const decode = (acceptNoPayloadCrc: boolean) => {
      const frames: Frame[] = [];
      const damage: string[] = [];
      const decoder = new FrameDecoder(4096, {
        acceptNoPayloadCrc,
        onFrame: (f) => frames.push(f),
        onDamage: (kind) => damage.push(kind),
      });
      decoder.push(unchecked);
      return { frames, damage };
    };
    const trusted = decode(true);
    expect(trusted.frames[0]?.payload.equals(payload)).toBe(true);
    expect(trusted.frames[0]?.flags).toBe(FrameFlag.noPayloadCrc);
    // On a serial line (no trusted stream below) the same bytes are damage.
    const untrusted = decode(false);
    expect(untrusted.frames).toEqual([]);
    expect(untrusted.damage).toContain('bad_payload');
  });
});
