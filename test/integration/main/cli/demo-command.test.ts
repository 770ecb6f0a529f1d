import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DECKHAND_BIN, runDeckhand } from '../../../support/run-deckhand';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-demo-test-');

interface DemoReady {
  ok: true;
  url: string;
  dataDir: string;
  workspace: string;
  devices: { uri: string; serialNumber: string; hardware: string; link: string }[];
}

describe('deckhand demo', () => {
  it('starts a pinned demo fleet and the UI, answers for its devices, and cleans up on Ctrl+C', async () => {
    const ui = tempDir();
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>Deckhand</title>');
    const child = spawn(process.execPath, [DECKHAND_BIN, 'demo', '--devices', '2', '--json'], {
      env: { ...process.env, DECKHAND_DATA_DIR: '', DECKHAND_RENDERER_DIR: ui },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', resolve);
        void exited.then(() => reject(new Error(`demo exited early: ${stderr}`)));
      });
      const ready = JSON.parse(firstLine) as DemoReady;
      expect(ready.ok).toBe(true);
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(ready.dataDir.startsWith(ready.workspace)).toBe(true);
      const tcp = ready.devices.filter((d) => d.link === 'tcp');
      expect(tcp.map((d) => d.serialNumber)).toEqual(['DEMO-001', 'DEMO-002']);
      expect(new Set(tcp.map((d) => d.hardware)).size).toBe(2);

      // The demo devices are pinned in the demo data folder: `deckhand devices` trusts them there.
      const run = runDeckhand(['devices', '--device', tcp[0]!.uri, '--data-dir', ready.dataDir, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        ok: true,
        devices: [{ uri: tcp[0]!.uri, ok: true, identity: { serialNumber: 'DEMO-001' } }],
      });
      // …and the UI link answers.
      const page = await fetch(ready.url, { redirect: 'manual' });
      expect(page.status).toBeLessThan(400);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(existsSync(ready.workspace)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
