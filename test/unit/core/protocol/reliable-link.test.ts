import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReliableLink } from '../../../../core/protocol/reliable-link';
import { PacedDirection } from '../../../../main/cli/benches/paced-line';
import { createNoise, type NoiseOptions } from '../../../support/noisy-bridge';

/** Two links joined by an in-memory line that delivers asynchronously, with optional noise each way. */
function wire(noise?: { forward: NoiseOptions; backward: NoiseOptions }) {
  const forward = noise ? createNoise(noise.forward) : null;
  const backward = noise ? createNoise(noise.backward) : null;
  const received: Buffer[] = [];
  const log: string[] = [];
  const deliver =
    (to: () => ReliableLink, damage: ((b: Buffer) => Buffer) | undefined, tag: string) => (bytes: Buffer) => {
      log.push(tag);
      const out = damage ? damage(bytes) : bytes;
      setImmediate(() => to().receive(out));
    };
  const laptop: ReliableLink = new ReliableLink({
    role: 'initiator',
    write: deliver(() => device, forward?.apply, 'L'),
    onData: () => undefined,
    // Generous timers: this line is simulated on a busy CPU, where a tight timer fires spuriously.
    initialRtoMs: 300,
    minRtoMs: 250,
  });
  const device: ReliableLink = new ReliableLink({
    role: 'responder',
    write: deliver(() => laptop, backward?.apply, 'D'),
    onData: (bytes) => received.push(bytes),
    initialRtoMs: 300,
    minRtoMs: 250,
  });
  return { laptop, device, received, log, stats: { forward: forward?.stats, backward: backward?.stats } };
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('reliable link (selective repeat over a serial line)', () => {
  it('streams a full window before the first acknowledgement (never stop-and-wait)', async () => {
    const { laptop, log } = wire();
    await laptop.open();
    log.length = 0;
    laptop.send(randomBytes(100 * 1024));
    // Synchronously, before any ACK could arrive: the whole window went out.
    expect(log.filter((t) => t === 'L')).toHaveLength(32);
    expect(laptop.stats.framesSent).toBe(32);
  });

  it('delivers 1 MiB byte-identical through bit flips and dropped bytes, retransmitting only damaged frames', async () => {
    const { laptop, device, received, stats } = wire({
      forward: { seed: 7, flipEvery: 20_000, dropEvery: 40_000 },
      backward: { seed: 8, flipEvery: 5_000, dropEvery: 10_000 },
    });
    await laptop.open();
    const data = randomBytes(1024 * 1024);
    for (let i = 0; i < data.length; i += 50_000) laptop.send(data.subarray(i, i + 50_000));
    await until(() => received.reduce((n, b) => n + b.length, 0) >= data.length);
    expect(sha(Buffer.concat(received))).toBe(sha(data));
    expect(stats.forward!.flips + stats.forward!.drops).toBeGreaterThan(10);
    expect(device.stats.damagedFrames).toBeGreaterThan(0);
    expect(laptop.stats.retransmits).toBeGreaterThan(0);
    // Selective: far fewer retransmissions than frames (go-back-N would resend whole windows).
    expect(laptop.stats.retransmits).toBeLessThan(laptop.stats.framesSent / 5);
    await until(() => laptop.pendingBytes === 0);
  });

  it.each([
    ['a clean', 0],
    ['a noisy', 50_000],
  ])(
    'on %s line slower than the window, times frames from when they leave and resends only damaged ones',
    async (_what, flipEvery) => {
      // A UART scaled up to 100 kB/s so the test is short: a window of 32 frames is 0.33 s of line
      // time, longer than the initial RTO, which is what collapsed an unpaced sender.
      const rate = 100_000;
      const received: Buffer[] = [];
      const forward = new PacedDirection({ bytesPerSec: rate, flipEvery }, (b) => device.receive(b));
      const backward = new PacedDirection({ bytesPerSec: rate }, (b) => laptop.receive(b));
      const laptop: ReliableLink = new ReliableLink({
        role: 'initiator',
        write: (b) => forward.push(b),
        onData: () => undefined,
        lineBytesPerSec: rate,
        initialRtoMs: 300,
        minRtoMs: 250,
      });
      const device: ReliableLink = new ReliableLink({
        role: 'responder',
        write: (b) => backward.push(b),
        onData: (b) => received.push(b),
        lineBytesPerSec: rate,
        initialRtoMs: 300,
        minRtoMs: 250,
      });
      try {
        await laptop.open();
        const data = randomBytes(256 * 1024);
        laptop.send(data);
        await until(() => received.reduce((n, b) => n + b.length, 0) >= data.length);
        expect(sha(Buffer.concat(received))).toBe(sha(data));
        // Each flipped bit costs one frame; nothing is resent just because it was still queued.
        expect(laptop.stats.retransmits).toBeLessThanOrEqual(forward.stats.flips + 2);
        if (flipEvery > 0) expect(forward.stats.flips).toBeGreaterThan(0);
      } finally {
        laptop.close();
        forward.close();
        backward.close();
      }
    },
  );

  it('declares the link lost when the line goes dead, and a reopened session starts clean', async () => {
    let dead = false;
    const errors: string[] = [];
    const received: Buffer[] = [];
    const laptop: ReliableLink = new ReliableLink({
      role: 'initiator',
      write: (b) => !dead && setImmediate(() => device.receive(b)),
      onData: () => undefined,
      onClose: (e) => errors.push(e.code),
      initialRtoMs: 20,
      minRtoMs: 5,
      maxRtoMs: 40,
      maxRetries: 4,
    });
    const device: ReliableLink = new ReliableLink({
      role: 'responder',
      write: (b) => !dead && setImmediate(() => laptop.receive(b)),
      onData: (b) => received.push(b),
    });
    await laptop.open();
    dead = true;
    laptop.send(Buffer.from('lost in the cable'));
    await until(() => errors.length > 0);
    expect(errors).toEqual(['link_lost']);
    dead = false;
    await laptop.open();
    laptop.send(Buffer.from('hello again'));
    await until(() => Buffer.concat(received).toString().includes('hello again'));
    expect(Buffer.concat(received).toString()).toBe('hello again');
  });

  it('answers data from an unknown session with a reset', async () => {
    const closed: string[] = [];
    const makeDevice = () =>
      new ReliableLink({ role: 'responder', write: (b) => laptop.receive(b), onData: () => undefined });
    let device = makeDevice();
    const laptop: ReliableLink = new ReliableLink({
      role: 'initiator',
      write: (b) => device.receive(b),
      onData: () => undefined,
      onClose: (e) => closed.push(e.code),
    });
    await laptop.open();
    device = makeDevice(); // The device restarted: it knows no session.
    laptop.send(Buffer.from('x'));
    await until(() => closed.length > 0);
    expect(closed).toEqual(['link_lost']);
  });

  it('a laptop reopening the line ignores what the old session left on it, so the new session holds', async () => {
    // The device was still sending for the old session when the laptop closed it; those frames
    // reach the new link before its handshake completes. Resetting on them would close the session
    // the device has just opened for the new SYN.
    const stale: Buffer[] = [];
    const oldDevice = new ReliableLink({
      role: 'responder',
      write: (b) => stale.push(b),
      onData: () => undefined,
    });
    const oldLaptop: ReliableLink = new ReliableLink({
      role: 'initiator',
      write: (b) => oldDevice.receive(b),
      onData: () => undefined,
    });
    const opening = oldLaptop.open();
    oldLaptop.receive(stale.shift()!); // SYN-ACK
    await opening;
    oldLaptop.send(Buffer.from('request'));
    expect(stale.length).toBe(0); // the device acknowledges later (delayed ack) …
    oldDevice.send(Buffer.alloc(3000, 1)); // … and was answering when the laptop went away.

    // Toward the laptop the line is first in, first out: the stale frames, then what the device says.
    const line: Buffer[] = [...stale];
    const received: Buffer[] = [];
    const device = new ReliableLink({
      role: 'responder',
      write: (b) => line.push(b),
      onData: (b) => received.push(b),
    });
    const closed: string[] = [];
    const laptop: ReliableLink = new ReliableLink({
      role: 'initiator',
      write: (b) => device.receive(b),
      onData: () => undefined,
      onClose: (e) => closed.push(e.code),
    });
    const pump = setInterval(() => {
      while (line.length > 0) laptop.receive(line.shift()!);
    }, 1);
    try {
      await laptop.open();
      laptop.send(Buffer.from('hello again'));
      await until(() => received.length > 0 || closed.length > 0);
      expect(closed).toEqual([]);
      expect(Buffer.concat(received).toString()).toBe('hello again');
    } finally {
      clearInterval(pump);
    }
    oldLaptop.close();
    oldDevice.close();
    laptop.close();
    device.close();
  });
});
