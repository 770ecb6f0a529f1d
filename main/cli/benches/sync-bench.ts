/**
 * `deckhand bench sync`: events per second from a laptop's log into HQ over HTTPS, on SQLite and on
 * PostgreSQL, with peak memory; each compared with the database's own bulk loader fed the same rows
 * (`sqlite3 .import` and `psql \copy`), which is the ceiling for getting rows into that database.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../db/database';
import { EventLogStore } from '../../db/event-log-store';
import { openBackend } from '../../services/backend';
import { createPassphraseProtector } from '../../services/technician-key';
import { SyncStore } from '../../db/sync-store';
import {
  findPostgresBin,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../../hq/dev/throwaway-postgres';
import { DeckhandError } from '../../../core/result';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** The deckhand command, for starting HQ as its own process. */
const DECKHAND_BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** One database's figures. */
export interface SyncBenchRun {
  readonly db: 'sqlite' | 'postgres';
  readonly events: number;
  readonly seconds: number;
  readonly eventsPerSec: number;
  /** Peak resident memory of the HQ process. */
  readonly peakRssMb: number;
  /** Peak resident memory of the laptop side (this process, log generation included). */
  readonly laptopPeakRssMb: number;
  readonly baseline: {
    readonly tool: string;
    readonly seconds: number;
    readonly eventsPerSec: number;
  } | null;
  /** Ours ÷ baseline events per second (above 1 would beat the bulk loader). */
  readonly ratio: number | null;
}

/** The whole benchmark's result. */
export interface SyncBenchResult {
  readonly events: number;
  readonly batchSize: number;
  readonly runs: readonly SyncBenchRun[];
  readonly skipped: readonly string[];
  readonly goal: { readonly eventsPerSec: number; readonly db: 'sqlite'; readonly met: boolean };
}

/** Options of the benchmark. */
export interface SyncBenchOptions {
  readonly events: number;
  readonly batchSize?: number;
  /** A PostgreSQL server to use; else a throwaway one when PostgreSQL is installed. */
  readonly postgresUrl?: string | undefined;
  readonly log?: (line: string) => void;
}

const GOAL_EVENTS_PER_SEC = 20_000;
const HQ_SCHEMA_EVENTS =
  'CREATE TABLE events (technician TEXT NOT NULL, seq BIGINT NOT NULL, time TEXT NOT NULL, kind TEXT NOT NULL, device TEXT, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (technician, seq))';

/** Runs the benchmark. */
export async function benchSync(options: SyncBenchOptions): Promise<SyncBenchResult> {
  const log = options.log ?? (() => undefined);
  const batchSize = options.batchSize ?? 5000;
  const work = mkdtempSync(join(tmpdir(), 'deckhand-bench-sync-'));
  const runs: SyncBenchRun[] = [];
  const skipped: string[] = [];
  let throwaway: ThrowawayPostgres | null = null;
  try {
    const laptop = join(work, 'laptop');
    log(`Writing ${options.events} events to a laptop log…`);
    seedLog(laptop, options.events);
    const csv = join(work, 'events.csv');
    writeCsv(laptop, csv);

    runs.push(
      await measure('sqlite', `sqlite:${join(work, 'hq.db')}`, laptop, batchSize, options.events, log, () =>
        sqliteImport(join(work, 'baseline.db'), csv, options.events),
      ),
    );

    let pgUrl = options.postgresUrl;
    if (pgUrl === undefined && findPostgresBin() !== null) {
      throwaway = await startThrowawayPostgres({ durable: true });
      pgUrl = throwaway.createDatabase('bench_hq');
    }
    if (pgUrl === undefined)
      skipped.push('postgres: PostgreSQL is not installed and no --postgres URL was given');
    else {
      const baselineUrl = throwaway ? throwaway.createDatabase('bench_copy') : pgUrl;
      runs.push(
        await measure('postgres', pgUrl, laptop, batchSize, options.events, log, () =>
          psqlCopy(baselineUrl, csv, options.events),
        ),
      );
    }
  } finally {
    throwaway?.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const sqlite = runs.find((run) => run.db === 'sqlite');
  return {
    events: options.events,
    batchSize,
    runs,
    skipped,
    goal: {
      eventsPerSec: GOAL_EVENTS_PER_SEC,
      db: 'sqlite',
      met: (sqlite?.eventsPerSec ?? 0) >= GOAL_EVENTS_PER_SEC,
    },
  };
}

async function measure(
  db: 'sqlite' | 'postgres',
  dbUrl: string,
  laptop: string,
  batchSize: number,
  events: number,
  log: (line: string) => void,
  baseline: () => { tool: string; seconds: number } | null,
): Promise<SyncBenchRun> {
  // HQ runs as its own process, as it does in the field: its memory is measured on its own.
  const hq = await startHqProcess(dbUrl);
  const backend = openBackend({
    dataDir: laptop,
    host: 'cli',
    version: 'bench',
    keyProtector: createPassphraseProtector('bench'),
    syncPolicy: { batchSize },
  });
  try {
    await backend.sync.enrol({ hqUrl: hq.url, technicianName: 'bench' });
    log(`Syncing ${events} events into HQ on ${db}…`);
    let laptopPeak = 0;
    const sampler = setInterval(() => (laptopPeak = Math.max(laptopPeak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    const outcome = await backend.sync.syncNow();
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (outcome.receipt.receipt.size !== events)
      throw new Error(`HQ acknowledged ${outcome.receipt.receipt.size} of ${events}`);
    const hqPeakMb = peakRssMb(hq.child.pid);
    const base = baseline();
    const eventsPerSec = events / seconds;
    const baseRate = base ? events / base.seconds : null;
    log(
      `  ${db}: ${Math.round(eventsPerSec)} events/s${base ? `; ${base.tool}: ${Math.round(baseRate ?? 0)} events/s` : ''}`,
    );
    return {
      db,
      events,
      seconds,
      eventsPerSec,
      peakRssMb: hqPeakMb,
      laptopPeakRssMb: laptopPeak / (1024 * 1024),
      baseline: base && baseRate !== null ? { ...base, eventsPerSec: baseRate } : null,
      ratio: baseRate ? eventsPerSec / baseRate : null,
    };
  } finally {
    backend.close();
    hq.child.kill('SIGTERM');
    await new Promise((resolve) =>
      hq.child.exitCode !== null ? resolve(null) : hq.child.once('exit', resolve),
    );
  }
}

/** Starts `deckhand hq serve` on a free port and waits for its JSON line. */
function startHqProcess(dbUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [DECKHAND_BIN, 'hq', 'serve', '--listen', '127.0.0.1:0', '--db', dbUrl, '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      const line = JSON.parse(out.split('\n')[0] as string) as { ok: boolean; url: string };
      if (line.ok) resolve({ child, url: line.url });
      else reject(new Error(out));
    });
    child.once('exit', (code) => reject(new Error(`deckhand hq serve exited with ${code}`)));
  });
}

/** A process's peak resident memory (Linux VmHWM), in MiB; 0 where /proc is missing. */
function peakRssMb(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

function seedLog(dataDir: string, count: number): void {
  const db = openDatabase(dataDir);
  const log = new EventLogStore(db);
  const kinds = ['deploy.started', 'deploy.step', 'deploy.committed', 'diagnostics.finished'];
  for (let done = 0; done < count;) {
    const n = Math.min(10_000, count - done);
    log.appendMany(
      Array.from({ length: n }, (_, i) => ({
        kind: kinds[(done + i) % kinds.length] as string,
        device: `tcp://10.0.${(done + i) % 200}.${(done + i) % 250}:7400`,
        payload: {
          step: done + i,
          site: `site-${(done + i) % 7}`,
          name: 'vision-app',
          version: '1.4.2',
          note: 'x'.repeat(40),
        },
      })),
    );
    done += n;
  }
  db.close();
}

function writeCsv(dataDir: string, file: string): void {
  const db = openDatabase(dataDir);
  try {
    const store = new SyncStore(db);
    const quote = (text: string | null): string => (text === null ? '' : `"${text.replaceAll('"', '""')}"`);
    // Streamed in 1 MiB pieces, so the laptop-side memory figure measures the sync, not this setup.
    writeFileSync(file, '');
    let out = '';
    for (const row of store.iterateEvents()) {
      out += `t,${row.seq},${quote(row.time)},${quote(row.kind)},${quote(row.device)},${quote(row.payloadJson)},${row.prevHash},${row.hash}\n`;
      if (out.length > 1 << 20) {
        appendFileSync(file, out);
        out = '';
      }
    }
    appendFileSync(file, out);
  } finally {
    db.close();
  }
}

function sqliteImport(dbFile: string, csv: string, events: number): { tool: string; seconds: number } | null {
  if (spawnSync('sh', ['-c', 'command -v sqlite3']).status !== 0) return null;
  execFileSync('sqlite3', [dbFile, 'PRAGMA journal_mode=WAL;', `${HQ_SCHEMA_EVENTS} WITHOUT ROWID;`]);
  const started = performance.now();
  execFileSync('sqlite3', [dbFile, 'PRAGMA synchronous=FULL;', '.mode csv', `.import ${csv} events`]);
  const seconds = (performance.now() - started) / 1000;
  const count = Number(
    execFileSync('sqlite3', [dbFile, 'SELECT COUNT(*) FROM events;'], { encoding: 'utf8' }).trim(),
  );
  if (count !== events) throw new Error(`sqlite3 .import loaded ${count} of ${events}`);
  return { tool: 'sqlite3 .import', seconds };
}

function psqlCopy(url: string, csv: string, events: number): { tool: string; seconds: number } | null {
  if (spawnSync('sh', ['-c', 'command -v psql']).status !== 0) return null;
  execFileSync(
    'psql',
    [
      '-q',
      url,
      '-c',
      'DROP TABLE IF EXISTS bench_events',
      '-c',
      HQ_SCHEMA_EVENTS.replace('events', 'bench_events'),
    ],
    { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } },
  );
  const started = performance.now();
  execFileSync('psql', ['-q', url, '-c', `\\copy bench_events FROM '${csv}' WITH (FORMAT csv)`]);
  const seconds = (performance.now() - started) / 1000;
  const count = Number(
    execFileSync('psql', ['-tA', url, '-c', 'SELECT COUNT(*) FROM bench_events'], {
      encoding: 'utf8',
    }).trim(),
  );
  if (count !== events) throw new Error(`psql \\copy loaded ${count} of ${events}`);
  return { tool: 'psql \\copy', seconds };
}

/** Runs the sync benchmark and prints its figures. */
export async function runSyncBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      events: { type: 'string', default: '100000' },
      'batch-size': { type: 'string', default: '5000' },
      postgres: { type: 'string' },
    },
    false,
  );
  const events = Number(values.events);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(events) || events < 1 || events > 50_000_000)
    throw new DeckhandError('usage', '--events must be 1–50000000.');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new DeckhandError('usage', '--batch-size must be 1–10000.');
  const result = await benchSync({
    events,
    batchSize,
    postgresUrl: values.postgres,
    log: (line) => context.io.stderr.write(`${line}\n`),
  });
  if (context.json) {
    printJson(context.io, { ok: true, ...result });
    return EXIT.ok;
  }
  for (const run of result.runs) {
    context.io.stdout.write(
      `${run.db.padEnd(9)} ${Math.round(run.eventsPerSec).toLocaleString('en')} events/s (${run.seconds.toFixed(2)} s, HQ peak RSS ${run.peakRssMb.toFixed(0)} MiB, laptop ${run.laptopPeakRssMb.toFixed(0)} MiB)` +
        (run.baseline
          ? `; ${run.baseline.tool} ${Math.round(run.baseline.eventsPerSec).toLocaleString('en')} events/s; ratio ${run.ratio?.toFixed(2)}\n`
          : '\n'),
    );
  }
  for (const reason of result.skipped) context.io.stdout.write(`skipped ${reason}\n`);
  context.io.stdout.write(
    `Goal ≥ ${result.goal.eventsPerSec.toLocaleString('en')} events/s into SQLite HQ: ${result.goal.met ? 'met' : 'NOT met'}\n`,
  );
  return EXIT.ok;
}
