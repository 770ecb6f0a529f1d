import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DB_FILE_NAME, openDatabase } from '../../../../main/db/database';
import { EventLogStore } from '../../../../main/db/event-log-store';
import { hasCommand, requirePrerequisite } from '../../../support/prerequisites';
import { runDeckhand } from '../../../support/run-deckhand';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs();

function seed(dataDir: string, count: number): void {
  const db = openDatabase(dataDir);
  const store = new EventLogStore(db);
  for (let i = 0; i < count; i += 1)
    store.append({
      kind: i % 2 ? 'deploy.step' : 'bundle.imported',
      device: i % 2 ? 'tcp://10.0.0.9:7400' : null,
      payload: { i },
    });
  db.close();
}

describe('deckhand logs', () => {
  it('reports a valid, empty chain on a fresh data dir', () => {
    const dataDir = join(tempDir(), 'fresh');
    const run = runDeckhand(['logs', 'verify', '--json', '--data-dir', dataDir]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, valid: true, size: 0, head: '0'.repeat(64) });
  });

  it('reads the data dir from DECKHAND_DATA_DIR when no flag is given', () => {
    const dataDir = tempDir();
    seed(dataDir, 3);
    const run = runDeckhand(['logs', 'verify', '--json'], { DECKHAND_DATA_DIR: dataDir });
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, size: 3 });
  });

  it('lists events as JSON and as text, with filters', () => {
    const dataDir = tempDir();
    seed(dataDir, 6);
    const json = JSON.parse(
      runDeckhand(['--data-dir', dataDir, 'logs', 'list', '--json', '--kind', 'deploy.step']).stdout,
    );
    expect(json.ok).toBe(true);
    expect(json.total).toBe(3);
    expect(json.events.map((e: { seq: number }) => e.seq)).toEqual([6, 4, 2]);
    const text = runDeckhand(['--data-dir', dataDir, 'logs', 'list', '--limit', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toContain('deploy.step');
    expect(text.stderr).toContain('2 newest of 6');
  });

  it.runIf(requirePrerequisite(hasCommand('sqlite3'), 'the sqlite3 CLI', 'apt-get install sqlite3'))(
    'names the first bad seq after a row is altered with the sqlite3 CLI, and exits 1',
    () => {
      const dataDir = tempDir();
      seed(dataDir, 10);
      execFileSync('sqlite3', [
        join(dataDir, DB_FILE_NAME),
        'DROP TRIGGER events_no_update; UPDATE events SET payload = \'{"i":70}\' WHERE seq = 7;',
      ]);
      const json = runDeckhand(['logs', 'verify', '--json', '--data-dir', dataDir]);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        ok: false,
        error: { code: 'chain_broken', details: { firstBadSeq: 7, reason: 'hash_mismatch', size: 10 } },
      });
      const text = runDeckhand(['logs', 'verify', '--data-dir', dataDir]);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(/breaks at seq 7/);
    },
  );

  it('exits 2 with a usage error for unknown commands, subcommands and flags', () => {
    for (const args of [
      ['frobnicate'],
      ['logs'],
      ['logs', 'shred'],
      ['logs', 'list', '--bogus'],
      ['logs', 'list', '--limit', 'lots'],
    ]) {
      const run = runDeckhand([...args, '--json', '--data-dir', tempDir()]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
    }
  });

  it('prints help and version', () => {
    expect(runDeckhand(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = runDeckhand(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('logs');
    expect(help.stdout).toContain('Exit codes');
    expect(runDeckhand(['logs', '--help']).stdout).toContain('deckhand logs verify');
  });

  it('reports an unreadable database with a code and exit 1', () => {
    const dataDir = tempDir();
    execFileSync('sh', ['-c', `head -c 4096 /dev/urandom > ${join(dataDir, DB_FILE_NAME)}`]);
    const run = runDeckhand(['logs', 'verify', '--json', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'db_corrupt' } });
  });
});
