/**
 * Fuzzing the importer: mutate a valid bundle (flipped bytes, overwritten runs, truncation,
 * duplicated blocks) for a bounded time and import each mutant. Every outcome must be a success or
 * a coded refusal (never `internal`, a crash or a hang), and the store must only ever hold blobs
 * whose content matches their name, with no staging leftovers.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ERROR_CODES, DeckhandError } from '../../../../../core/result';
import { openBackend } from '../../../../../main/services/backend';
import { BundleLab, bundleEntries, writeTar } from '../../../../support/bundle-lab';
import { useTempDirs } from '../../../../support/temp-dir';
import { seededRandom } from '../../../../support/seeded-random';

const BUDGET_MS = Number(process.env['DECKHAND_FUZZ_MS'] ?? 8000);
const tempDir = useTempDirs('deckhand-fuzz-');

function mutate(original: Buffer, next: () => number, metadataEnd: number): Buffer {
  const data = Buffer.from(original);
  const pick = (limit: number): number => Math.floor(next() * limit);
  // Most mutations land in the headers and metadata, where parsing happens.
  const where = (): number => (next() < 0.8 ? pick(metadataEnd) : pick(data.length));
  switch (pick(5)) {
    case 0:
      for (let i = 0, n = 1 + pick(4); i < n; i += 1) data[where()]! ^= 1 << pick(8);
      return data;
    case 1: {
      const at = where();
      data.fill(pick(256), at, Math.min(data.length, at + 1 + pick(64)));
      return data;
    }
    case 2:
      return data.subarray(0, where());
    case 3: {
      const at = Math.floor(where() / 512) * 512;
      return Buffer.concat([data.subarray(0, at), data.subarray(at, at + 512), data.subarray(at)]);
    }
    default: {
      const at = where();
      const text = ' "signed":{} 0 1e3 \\u0000 {}[]'.split('');
      data[at] = text[pick(text.length)]!.charCodeAt(0);
      return data;
    }
  }
}

it(
  `imports mutated bundles for ${BUDGET_MS} ms: only coded refusals, never a crash, hang or partial blob`,
  async () => {
    const lab = new BundleLab();
    const dataDir = tempDir();
    const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
    try {
      const rootFile = join(tempDir(), 'root.json');
      writeFileSync(rootFile, lab.rootBytes());
      backend.bundles.pin(rootFile);
      const work = tempDir();
      const original = readFileSync(
        await writeTar(join(work, 'valid.dhb'), bundleEntries(lab.metadata({ version: 1 }))),
      );
      // The first target's header: everything before it is metadata.
      const metadataEnd = original.indexOf(Buffer.from('releases/edge-app/2.4.1/'));
      expect(metadataEnd).toBeGreaterThan(0);
      const seed = Date.now() >>> 0;
      const next = seededRandom(seed);
      const started = Date.now();
      const codes = new Map<string, number>();
      let runs = 0;
      while (Date.now() - started < BUDGET_MS) {
        const file = join(work, `mutant-${runs}.dhb`);
        writeFileSync(file, mutate(original, next, metadataEnd));
        const outcome = await Promise.race([
          backend.bundles.import({ path: file, jobId: randomUUID() }).then(
            () => 'ok',
            (error: unknown) => error,
          ),
          new Promise((resolve) => setTimeout(() => resolve('hang'), 5000)),
        ]);
        if (outcome !== 'ok') {
          expect(outcome, `seed ${seed}, run ${runs}`).toBeInstanceOf(DeckhandError);
          const code = (outcome as DeckhandError).code;
          expect(ERROR_CODES).toContain(code);
          expect(code, `seed ${seed}, run ${runs}: ${(outcome as Error).message}`).not.toBe('internal');
          codes.set(code, (codes.get(code) ?? 0) + 1);
        } else codes.set('ok', (codes.get('ok') ?? 0) + 1);
        expect(readdirSync(join(dataDir, 'blobs', 'staging'))).toEqual([]);
        runs += 1;
      }
      for (const sha of blobs(dataDir)) {
        const content = readFileSync(join(dataDir, 'blobs', 'sha256', sha.slice(0, 2), sha.slice(2)));
        expect(createHash('sha256').update(content).digest('hex')).toBe(sha);
      }
      console.info(`fuzz: ${runs} mutants (seed ${seed}):`, Object.fromEntries(codes));
      expect(runs).toBeGreaterThan(20);
      expect(codes.size).toBeGreaterThan(3);
    } finally {
      backend.close();
    }
  },
  BUDGET_MS + 30_000,
);

function blobs(dataDir: string): string[] {
  const base = join(dataDir, 'blobs', 'sha256');
  try {
    return readdirSync(base).flatMap((p) => readdirSync(join(base, p)).map((rest) => p + rest));
  } catch {
    return [];
  }
}
