/** Starts the real `deckhand host` process for an end-to-end test and stops it afterwards. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../../main/db/database';
import { EventLogStore } from '../../../main/db/event-log-store';

const BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** A running host and its data folder. */
export interface RunningHost {
  readonly url: string;
  readonly origin: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Creates a data folder, lets `prepare` fill it, then starts `deckhand host` on a free port. */
export async function startHost(
  prepare: (dataDir: string) => void = () => {},
  env: NodeJS.ProcessEnv = {},
): Promise<RunningHost> {
  const dataDir = mkdtempSync(join(tmpdir(), 'deckhand-e2e-'));
  prepare(dataDir);
  const child = spawn(process.execPath, [BIN, 'host', '--json', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const url = await readUrl(child);
  return {
    url,
    origin: new URL(url).origin,
    dataDir,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Appends `count` varied events to the data folder's log in one transaction. */
export function seedEvents(dataDir: string, count: number): void {
  const db = openDatabase(dataDir);
  const kinds = [
    'bundle.imported',
    'deploy.started',
    'deploy.step',
    'deploy.committed',
    'diagnostics.finished',
  ];
  new EventLogStore(db, () => new Date(Date.UTC(2026, 10, 27, 8, 0, 0))).appendMany(
    Array.from({ length: count }, (_, i) => ({
      kind: kinds[i % kinds.length]!,
      device: i % 5 === 0 ? null : `tcp://10.0.0.${(i % 12) + 2}:7400`,
      payload: { step: i, note: `event ${i + 1}` },
    })),
  );
  db.close();
}

function readUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`deckhand host did not start: ${err}`)), 30_000);
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        const parsed = JSON.parse(line) as { ok: boolean; url?: string; error?: { message: string } };
        if (parsed.ok && parsed.url) resolve(parsed.url);
        else reject(new Error(parsed.error?.message ?? line));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deckhand host exited with ${code}: ${err}`));
    });
  });
}
