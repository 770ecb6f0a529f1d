/**
 * Starts a private, throwaway PostgreSQL server (initdb + pg_ctl) on 127.0.0.1 and a free port, for
 * tests and `deckhand bench sync`. When running as root (CI), the server runs as the `postgres` user,
 * since PostgreSQL refuses to run as root. Needs Debian's `postgresql` package (or initdb on PATH).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running throwaway server. */
export interface ThrowawayPostgres {
  /** postgres://deckhand@127.0.0.1:PORT/postgres */
  readonly url: string;
  /** Creates a fresh database and returns its URL (one per test keeps tests independent). */
  createDatabase(name: string): string;
  stop(): void;
}

/** The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed. */
export function findPostgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  try {
    const initdb = execFileSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).trim();
    return initdb ? initdb.replace(/\/initdb$/, '') : null;
  } catch {
    return null;
  }
}

/** Starts a server; `durable: false` turns fsync off (tests), true keeps PostgreSQL's defaults (benchmarks). */
export async function startThrowawayPostgres(
  options: { readonly durable?: boolean } = {},
): Promise<ThrowawayPostgres> {
  const bin = findPostgresBin();
  if (bin === null) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'deckhand-pg-'));
  if (asRoot) chownSync(dir, uid('postgres'), gid('postgres'));
  const data = join(dir, 'data');
  const run = (tool: string, args: readonly string[]): string => {
    const command = join(bin, tool);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8', cwd: dir })
      : execFileSync(command, args, { encoding: 'utf8', cwd: dir });
  };
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'deckhand', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', settings, '-w', '-t', '60', 'start']);
  const base = `postgres://deckhand@127.0.0.1:${port}`;
  let stopped = false;
  return {
    url: `${base}/postgres`,
    createDatabase: (name) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      execFileSync(
        join(bin, 'psql'),
        [
          '-q',
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'deckhand',
          '-d',
          'postgres',
          '-c',
          `CREATE DATABASE ${name}`,
        ],
        {
          stdio: 'ignore',
        },
      );
      return `${base}/${name}`;
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function uid(user: string): number {
  return Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
}

function gid(user: string): number {
  return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
}
