/**
 * A noisy serial line for tests: flips bits and drops bytes at seeded random positions. Used directly
 * on byte streams in unit tests, and as a bridge between two socat pty pairs in integration tests
 * (agent pty ⇄ bridge ⇄ laptop pty), so the real serial code reads real ttys through a bad cable.
 */
import { execFileSync } from 'node:child_process';
import { openSerialStream, type SerialStream } from '../../core/node-io/serial-stream';
import { seededRandom } from './seeded-random';

export { openPtyPair, type PtyPair } from '../../main/cli/benches/paced-line';

/** Noise settings: on average one fault per this many bytes (0 disables). */
export interface NoiseOptions {
  readonly seed: number;
  readonly flipEvery?: number;
  readonly dropEvery?: number;
}

/** Counts of injected faults. */
export interface NoiseStats {
  bytes: number;
  flips: number;
  drops: number;
}

/** Returns a function that damages chunks as they pass, and its stats. */
export function createNoise(options: NoiseOptions): { apply: (chunk: Buffer) => Buffer; stats: NoiseStats } {
  const random = seededRandom(options.seed);
  const stats: NoiseStats = { bytes: 0, flips: 0, drops: 0 };
  const apply = (chunk: Buffer): Buffer => {
    stats.bytes += chunk.length;
    const out = Buffer.from(chunk);
    const keep: number[] = [];
    for (let i = 0; i < out.length; i += 1) {
      if (options.flipEvery && random() < 1 / options.flipEvery) {
        out[i]! ^= 1 << Math.floor(random() * 8);
        stats.flips += 1;
      }
      if (options.dropEvery && random() < 1 / options.dropEvery) {
        stats.drops += 1;
        continue;
      }
      keep.push(i);
    }
    return keep.length === out.length ? out : Buffer.from(keep.map((i) => out[i]!));
  };
  return { apply, stats };
}

/** A bridge copying bytes between two serial paths through the noise, both ways. */
export interface NoisyBridge {
  readonly stats: { forward: NoiseStats; backward: NoiseStats };
  close(): void;
}

/** Bridges `left` and `right` (pty ends) with independent noise in each direction. */
export function bridgeSerial(
  left: string,
  right: string,
  noise: { forward: NoiseOptions; backward: NoiseOptions },
): NoisyBridge {
  const forward = createNoise(noise.forward);
  const backward = createNoise(noise.backward);
  let l: SerialStream | null = null;
  let r: SerialStream | null = null;
  l = openSerialStream(
    left,
    (chunk) => r?.write(forward.apply(chunk)),
    () => undefined,
  );
  r = openSerialStream(
    right,
    (chunk) => l?.write(backward.apply(chunk)),
    () => undefined,
  );
  return {
    stats: { forward: forward.stats, backward: backward.stats },
    close: () => {
      l?.close();
      r?.close();
    },
  };
}

/** True when socat is installed. */
export function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
