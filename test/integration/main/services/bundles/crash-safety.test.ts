/**
 * kill -9 during an import and during a trust update: afterwards Deckhand opens, the trust state
 * reads, no staging files remain, every visible blob matches its hash, and the next import works.
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openBackend } from '../../../../../main/services/backend';
import { TrustStore } from '../../../../../main/services/bundles/trust-store';
import { BundleLab, bundleEntries, sampleTargets, writeTar } from '../../../../support/bundle-lab';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-crash-');
const worker = fileURLToPath(new URL('../../../../support/bundle-worker.ts', import.meta.url));

/** Runs the worker and kills it `delayMs` after it is ready; resolves with its output lines. */
function runAndKill(args: readonly string[], delayMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
        else lines.push(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) =>
      signal === 'SIGKILL' ? resolve(lines) : reject(new Error(`worker exited: ${stderr}`)),
    );
  });
}

function checkStore(dataDir: string): void {
  expect(readdirSync(join(dataDir, 'blobs', 'staging'))).toEqual([]);
  const base = join(dataDir, 'blobs', 'sha256');
  // A kill before the first blob was committed leaves no blob folder at all: nothing to check.
  for (const prefix of existsSync(base) ? readdirSync(base) : []) {
    for (const rest of readdirSync(join(base, prefix))) {
      const content = readFileSync(join(base, prefix, rest));
      expect(createHash('sha256').update(content).digest('hex')).toBe(prefix + rest);
    }
  }
  expect(readdirSync(join(dataDir, 'trust')).sort()).toEqual(['pinned-root.json', 'state.json']);
}

describe('crash safety under kill -9', () => {
  it('survives kills at random moments of imports, then imports again', async () => {
    const lab = new BundleLab();
    const dataDir = tempDir();
    const rootFile = join(tempDir(), 'root.json');
    writeFileSync(rootFile, lab.rootBytes());
    const setup = openBackend({ dataDir, host: 'cli', version: 'test' });
    setup.bundles.pin(rootFile);
    setup.close();
    for (let round = 0; round < 4; round += 1) {
      const bundles: string[] = [];
      for (let i = 1; i <= 3; i += 1) {
        const tag = `${round}-${i}`;
        const targets = sampleTargets(tag).map((t, k) =>
          k === 0 ? { ...t, content: Buffer.alloc(6 * 1024 * 1024, tag) } : t,
        );
        bundles.push(
          await writeTar(
            join(tempDir(), `r${round}-${i}.dhb`),
            bundleEntries(lab.metadata({ version: round * 10 + i, targets }), targets),
          ),
        );
      }
      await runAndKill(['import', dataDir, ...bundles], 100 + Math.floor(Math.random() * 500));
      // The app starts, cleans up and imports the newest bundle of the round.
      const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
      try {
        checkStore(dataDir);
        const outcome = await backend.bundles.import({ path: bundles[2]!, jobId: randomUUID() });
        expect(outcome.import.timestampVersion).toBe(round * 10 + 3);
        checkStore(dataDir);
      } finally {
        backend.close();
      }
    }
  }, 120_000);

  it('keeps a readable trust state, with every acknowledged time, across kills during trust updates', async () => {
    const lab = new BundleLab();
    const dataDir = tempDir();
    const rootFile = join(tempDir(), 'root.json');
    writeFileSync(rootFile, lab.rootBytes());
    new TrustStore(join(dataDir, 'trust')).pin(readFileSync(rootFile), new Date(0));
    let acknowledged = 0;
    for (let round = 0; round < 4; round += 1) {
      const lines = await runAndKill(['trust', dataDir], 20 + Math.floor(Math.random() * 150));
      acknowledged = Math.max(acknowledged, ...lines.map(Number));
      const trust = new TrustStore(join(dataDir, 'trust'));
      const { state } = trust.load();
      expect(Date.parse(state.highestTime)).toBeGreaterThanOrEqual(acknowledged);
      expect(readdirSync(join(dataDir, 'trust')).sort()).toEqual(['pinned-root.json', 'state.json']);
    }
    expect(acknowledged).toBeGreaterThan(0);
  }, 60_000);
});
