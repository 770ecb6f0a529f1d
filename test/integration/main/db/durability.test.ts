/**
 * Power-cut style durability: a child appends in a loop and reports each committed seq; we SIGKILL
 * it at 20 random moments. After each kill the chain must verify and every reported seq must exist.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../../main/db/database';
import { EventLogStore } from '../../../../main/db/event-log-store';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();
const worker = fileURLToPath(new URL('../../../support/append-worker.ts', import.meta.url));
const tsxLoader = 'tsx';

function runAndKill(dataDir: string, delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, worker, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reported: number[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), delayMs);
        else reported.push(...line.split(' ').map(Number));
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`worker exited on its own: ${stderr}`));
      else resolve(reported);
    });
  });
}

describe('event log durability under kill -9', () => {
  it('keeps every acknowledged event and a valid chain across 20 random kills', async () => {
    const dataDir = tempDir();
    const acknowledged = new Set<number>();
    for (let round = 0; round < 20; round += 1) {
      const reported = await runAndKill(dataDir, 20 + Math.floor(Math.random() * 200));
      reported.forEach((seq) => acknowledged.add(seq));

      const db = openDatabase(dataDir);
      const store = new EventLogStore(db);
      const status = store.verify();
      const present = new Set(db.prepare('SELECT seq FROM events').pluck().all() as number[]);
      db.close();

      expect(status.valid, `round ${round}: ${JSON.stringify(status)}`).toBe(true);
      const missing = [...acknowledged].filter((seq) => !present.has(seq));
      expect(missing, `round ${round}: acknowledged but lost`).toEqual([]);
    }
    expect(acknowledged.size).toBeGreaterThan(20);
  }, 120_000);
});
