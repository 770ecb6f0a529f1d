/**
 * The whole bundle flow through the real `deckhand` bin in a clean data folder: keys init → bundle
 * create (a 64 MiB release and a small model) → import refused until a root is pinned → trust pin →
 * import → inspect and verify; then key rotation, a passphrase and a YAML manifest.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBackend } from '../../../../main/services/backend';
import { runDeckhand } from '../../../support/run-deckhand';
import { useTempDirs } from '../../../support/temp-dir';

// Each CLI run starts tsx (1–3 s on a busy 2-core machine), hence the generous per-test timeouts.
const tempDir = useTempDirs('deckhand-cli-bundles-');

function json(run: { stdout: string; stderr: string }): Record<string, unknown> {
  try {
    return JSON.parse(run.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`not JSON: ${run.stdout}\n${run.stderr}`);
  }
}

describe('deckhand keys, bundle, trust, import', () => {
  it('runs the HQ-to-laptop flow with a 64 MiB release and a small model', () => {
    const work = tempDir();
    const dataDir = join(work, 'data');
    const keys = join(work, 'keys');
    const init = runDeckhand(['keys', 'init', '--out', keys, '--json']);
    expect(init.code, init.stderr).toBe(0);
    expect(Object.keys(json(init)['keyIds'] as object)).toEqual([
      'root',
      'targets',
      'snapshot',
      'timestamp',
      'releases',
      'models',
    ]);
    for (const file of readdirSync(keys).filter((name) => name.endsWith('.key')))
      expect(statSync(join(keys, file)).mode & 0o777).toBe(0o600);

    writeFileSync(join(work, 'app.img'), randomBytes(64 * 1024 * 1024));
    writeFileSync(join(work, 'detector.onnx'), randomBytes(4096));
    const bundle = join(work, 'site-42.dhb');
    const create = runDeckhand([
      'bundle',
      'create',
      '--keys',
      keys,
      '--out',
      bundle,
      '--expires',
      '30d',
      '--release',
      join(work, 'app.img'),
      '--name',
      'edge-app',
      '--version',
      '2.4.1',
      '--hardware',
      'jetson-orin,rpi5',
      '--install',
      'rauc',
      '--model',
      join(work, 'detector.onnx'),
      '--name',
      'detector',
      '--version',
      '1.0',
      '--hardware',
      'jetson-orin',
      '--json',
    ]);
    expect(create.code, create.stderr).toBe(0);
    expect((json(create)['targets'] as unknown[]).length).toBe(2);

    const unpinned = runDeckhand(['import', bundle, '--json', '--data-dir', dataDir]);
    expect(unpinned.code).toBe(1);
    expect(json(unpinned)).toMatchObject({ ok: false, error: { code: 'not_pinned' } });

    expect(runDeckhand(['trust', 'pin', join(keys, 'root.json'), '--data-dir', dataDir]).code).toBe(0);
    const imported = runDeckhand(['import', bundle, '--json', '--data-dir', dataDir]);
    expect(imported.code, imported.stderr).toBe(0);
    const row = json(imported)['import'] as { targets: { name: string; length: number }[]; expires: string };
    expect(row.targets.map((t) => [t.name, t.length])).toEqual([
      ['detector', 4096],
      ['edge-app', 64 * 1024 * 1024],
    ]);
    expect(Date.parse(row.expires)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const text = runDeckhand(['bundle', 'inspect', bundle]);
    expect(text.stdout).toContain('edge-app 2.4.1  [jetson-orin, rpi5]  64.0 MiB');
    const verify = runDeckhand(['bundle', 'verify', bundle, '--root', join(keys, 'root.json'), '--json']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(json(verify)['rootVersion']).toBe(1);

    const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
    const kinds = backend.logs.query({ offset: 0, limit: 10 }).rows.map((e) => e.kind);
    backend.close();
    expect(kinds).toEqual(['bundle.imported', 'trust.pinned', 'bundle.refused']);
    expect(runDeckhand(['bundle', 'create', '--keys', keys]).code).toBe(2);
  }, 120_000);

  it('rotates keys under a passphrase and builds from a YAML manifest; the laptop follows the rotation', () => {
    const work = tempDir();
    const dataDir = join(work, 'data');
    const keys = join(work, 'keys');
    const env = { DECKHAND_KEY_PASSPHRASE: 'correct horse battery staple' };
    expect(runDeckhand(['keys', 'init', '--out', keys], env).code).toBe(0);
    expect(runDeckhand(['trust', 'pin', join(keys, 'root.json'), '--data-dir', dataDir]).code).toBe(0);
    const noPassphrase = runDeckhand(['keys', 'rotate-root', '--keys', keys, '--json']);
    expect(json(noPassphrase)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const rotate = runDeckhand(
      ['keys', 'rotate-root', '--keys', keys, '--replace', 'targets', '--json'],
      env,
    );
    expect(rotate.code, rotate.stderr).toBe(0);
    expect(json(rotate)['rootVersion']).toBe(2);

    writeFileSync(join(work, 'fw.bin'), randomBytes(10_000));
    writeFileSync(join(work, 'yolo.onnx'), randomBytes(5_000));
    writeFileSync(
      join(work, 'bundle.yaml'),
      [
        'expires: 14d',
        'targets:',
        '  - file: fw.bin',
        '    kind: release',
        '    name: firmware',
        '    version: 7.1.0',
        '    releaseCounter: 71',
        '    hardware: [jetson-orin]',
        '    install: { method: swupdate, params: { slot: b } }',
        '    createdAt: 2026-11-01T10:00:00Z',
        '    sourceCommit: 9f2c1e7',
        '    sites: [site-42]',
        '  - file: yolo.onnx',
        '    kind: model',
        '    name: yolo',
        '    version: "8.2"',
        '    hardware: [jetson-orin]',
        '    slo: { p95Ms: 40, minThroughput: 25, maxErrorRate: 0.01, maxGpuMemMb: 2048 }',
        '',
      ].join('\n'),
    );
    const bundle = join(work, 'm.dhb');
    const create = runDeckhand(
      ['bundle', 'create', '--keys', keys, '--out', bundle, '--manifest', join(work, 'bundle.yaml')],
      env,
    );
    expect(create.code, create.stderr).toBe(0);
    const imported = runDeckhand(['import', bundle, '--json', '--data-dir', dataDir]);
    expect(imported.code, imported.stderr).toBe(0);
    const row = json(imported)['import'] as {
      rootVersion: number;
      targets: { name: string; custom: Record<string, unknown> }[];
    };
    expect(row.rootVersion).toBe(2);
    expect(row.targets.find((t) => t.name === 'yolo')?.custom['slo']).toEqual({
      p95Ms: 40,
      minThroughput: 25,
      maxErrorRate: 0.01,
      maxGpuMemMb: 2048,
    });
    expect(row.targets.find((t) => t.name === 'firmware')?.custom).toMatchObject({
      releaseCounter: 71,
      sourceCommit: '9f2c1e7',
      sites: ['site-42'],
    });
  }, 120_000);
});
