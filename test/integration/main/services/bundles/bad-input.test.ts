/**
 * The bad-input suite of the signed-bundles issue: each hostile or broken bundle is refused with its
 * own code, and nothing of it stays in the blob store or the staging folder. Real tars, real files,
 * a real data folder and database; keys generated per test.
 */
import { randomUUID } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCanonical, type JsonObject } from '../../../../../core/bundle/tuf-json';
import type { ErrorCode } from '../../../../../core/result';
import { DeckhandError } from '../../../../../core/result';
import { openBackend, type Backend } from '../../../../../main/services/backend';
import type { ImportPhase } from '../../../../../main/services/bundles/bundle-importer';
import {
  BundleLab,
  bundleEntries,
  sampleTargets,
  writeFolder,
  writeTar,
  type LabEntry,
} from '../../../../support/bundle-lab';
import { useTempDirs } from '../../../../support/temp-dir';

const DAY = 86_400_000;
const tempDir = useTempDirs('deckhand-bundles-');
const open: Backend[] = [];
afterEach(() => {
  for (const backend of open.splice(0)) backend.close();
});

/** A laptop: a data folder with the lab's root pinned, and a controllable clock. */
function laptop(lab: BundleLab, start = new Date()) {
  const dataDir = tempDir();
  const clock = { now: start };
  const backend = openBackend({ dataDir, host: 'cli', version: 'test', clock: () => clock.now });
  open.push(backend);
  const root = join(tempDir(), 'root.json');
  writeFileSync(root, lab.rootBytes(1));
  backend.bundles.pin(root);
  return {
    dataDir,
    backend,
    clock,
    reopen(): Backend {
      const index = open.indexOf(this.backend);
      this.backend.close();
      open.splice(index, 1);
      this.backend = openBackend({ dataDir, host: 'cli', version: 'test', clock: () => clock.now });
      open.push(this.backend);
      return this.backend;
    },
    importFile(path: string, onPhase?: (phase: ImportPhase) => void | Promise<void>) {
      return this.backend.bundles.import({ path, jobId: randomUUID(), ...(onPhase ? { onPhase } : {}) });
    },
  };
}

async function tarOf(entries: readonly LabEntry[]): Promise<string> {
  return writeTar(join(tempDir(), 'bundle.dhb'), entries);
}

/** Expects a refusal with `code`, and that the refusal left nothing behind. */
async function expectRefused(
  machine: ReturnType<typeof laptop>,
  attempt: Promise<unknown>,
  code: ErrorCode,
): Promise<DeckhandError> {
  const blobsBefore = blobList(machine.dataDir);
  const error = await attempt.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  expect(error, `expected a ${code} refusal`).toBeInstanceOf(DeckhandError);
  expect((error as DeckhandError).code, (error as DeckhandError).message).toBe(code);
  expect((error as DeckhandError).message.length).toBeGreaterThan(20);
  expect(blobList(machine.dataDir)).toEqual(blobsBefore);
  expect(readdirSync(join(machine.dataDir, 'blobs', 'staging'))).toEqual([]);
  expect(readdirSync(join(machine.dataDir, 'trust')).sort()).toEqual(['pinned-root.json', 'state.json']);
  const last = machine.backend.logs.query({ offset: 0, limit: 1 }).rows[0];
  expect(last?.kind).toBe(code === 'cancelled' ? 'bundle.cancelled' : 'bundle.refused');
  if (code !== 'cancelled') {
    const row = machine.backend.bundles.list().imports[0];
    expect(row?.status).toBe('refused');
    expect(row?.error?.code).toBe(code);
    expect(row?.targets).toEqual([]);
  }
  return error as DeckhandError;
}

function blobList(dataDir: string): string[] {
  const base = join(dataDir, 'blobs', 'sha256');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .flatMap((p) => readdirSync(join(base, p)).map((rest) => p + rest))
    .sort();
}

describe('a valid bundle', () => {
  it('imports from a tar and from a folder, and reuses blobs already in the store', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 10 });
    const first = await machine.importFile(await tarOf(bundleEntries(files)));
    expect(first.copied).toBe(2);
    expect(first.import.targets.map((t) => `${t.kind}:${t.name}@${t.version}`)).toEqual([
      'model:detector@1.0',
      'release:edge-app@2.4.1',
    ]);
    expect(blobList(machine.dataDir)).toHaveLength(2);
    const folder = writeFolder(tempDir(), bundleEntries(lab.metadata({ version: 11 })));
    const second = await machine.importFile(folder);
    expect(second.copied).toBe(0);
    expect(second.reused).toBe(2);
    const kinds = machine.backend.logs.query({ offset: 0, limit: 10 }).rows.map((row) => row.kind);
    expect(kinds).toEqual(['bundle.imported', 'bundle.imported', 'trust.pinned']);
  });

  it('is refused when no root is pinned', async () => {
    const lab = new BundleLab();
    const dataDir = tempDir();
    const backend = openBackend({
      dataDir,
      host: 'cli',
      version: 'test',
      orgTrustRoot: join(dataDir, 'none.json'),
    });
    open.push(backend);
    const path = await tarOf(bundleEntries(lab.metadata({ version: 1 })));
    await expect(backend.bundles.import({ path, jobId: 'j1' })).rejects.toMatchObject({ code: 'not_pinned' });
    expect(backend.bundles.list().imports[0]?.error?.code).toBe('not_pinned');
  });
});

describe('signatures and keys', () => {
  it('refuses targets signed by a revoked key (unknown_key)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const revoked = lab.rotate({ replace: 'targets' });
    const files = lab.metadata({ version: 20 });
    lab.rewriteRole(files, 'targets', () => {}, [revoked!]);
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'unknown_key');
  });

  it('refuses threshold minus one signatures (threshold_not_met)', async () => {
    const lab = new BundleLab({ thresholds: { targets: 2 } });
    const machine = laptop(lab);
    const files = lab.metadata({ version: 3 });
    lab.rewriteRole(files, 'targets', () => {}, [lab.keys.targets[0]!]);
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'threshold_not_met');
  });

  it('counts one signature given twice once (threshold_not_met)', async () => {
    const lab = new BundleLab({ thresholds: { targets: 2 } });
    const machine = laptop(lab);
    const files = lab.metadata({ version: 3 });
    const key = lab.keys.targets[0]!;
    lab.rewriteRole(files, 'targets', () => {}, [key, key]);
    const signatures = (JSON.parse(Buffer.from(files.get('targets.json')!).toString()) as JsonObject)[
      'signatures'
    ] as JsonObject[];
    expect(signatures.map((sig) => sig['keyid'])).toEqual([key.keyId, key.keyId]);
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'threshold_not_met');
  });

  it('refuses a changed role whose listed key no longer verifies (bad_signature)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 3 });
    // Change the signed part but keep the old signature: the timestamp is not pinned by any hash.
    const json = JSON.parse(Buffer.from(files.get('timestamp.json')!).toString()) as JsonObject;
    (json['signed'] as JsonObject)['expires'] = '2099-01-01T00:00:00Z';
    files.set('timestamp.json', encodeCanonical(json));
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'bad_signature');
  });

  it('refuses an unknown key type (unknown_key)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 3 });
    lab.rewriteRole(files, 'targets', (signed) => {
      const keys = (signed['delegations'] as JsonObject)['keys'] as JsonObject;
      const [id] = Object.keys(keys);
      (keys[id!] as JsonObject)['keytype'] = 'xmss';
    });
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'unknown_key');
  });
});

describe('root rotation', () => {
  it('follows a valid rotation carried in the bundle', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    lab.rotate({ replace: 'root' });
    lab.rotate({ replace: 'timestamp' });
    const outcome = await machine.importFile(await tarOf(bundleEntries(lab.metadata({ version: 5 }))));
    expect(outcome.import.rootVersion).toBe(3);
  });

  it('refuses a new root signed only by the new keys (invalid_root_rotation)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    lab.rotate({ replace: 'root', signers: 'new-only' });
    await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(lab.metadata({ version: 5 })))),
      'invalid_root_rotation',
    );
  });

  it('refuses a gap in the root chain (invalid_root_rotation)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    lab.rotate();
    lab.rotate();
    const files = lab.metadata({ version: 5 });
    files.delete('2.root.json');
    await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(files))),
      'invalid_root_rotation',
    );
  });
});

describe('rollback, freeze and mix-and-match', () => {
  it('refuses an older valid bundle after a newer one, even after a restart (rollback)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const older = await tarOf(bundleEntries(lab.metadata({ version: 100 })));
    const newer = await writeTar(join(tempDir(), 'newer.dhb'), bundleEntries(lab.metadata({ version: 200 })));
    await machine.importFile(newer);
    machine.reopen();
    await expectRefused(machine, machine.importFile(older), 'rollback');
  });

  it('refuses a same-version timestamp with other bytes (rollback)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    await machine.importFile(await tarOf(bundleEntries(lab.metadata({ version: 300 }))));
    const other = lab.metadata({ version: 300, expires: new Date(Date.now() + 20 * DAY) });
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(other))), 'rollback');
  });

  it('refuses a snapshot that does not match the timestamp (hash_mismatch)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 400 });
    files.set('snapshot.json', lab.metadata({ version: 401 }).get('snapshot.json')!);
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'hash_mismatch');
  });

  it("refuses a mix of two bundles' metadata (hash_mismatch)", async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const a = lab.metadata({ version: 500, targets: sampleTargets('a') });
    const b = lab.metadata({ version: 501, targets: sampleTargets('b') });
    a.set('releases.json', b.get('releases.json')!);
    await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(a, sampleTargets('b')))),
      'hash_mismatch',
    );
  });

  it('refuses an expired timestamp (expired) with the date in plain words', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 6, expires: new Date(Date.UTC(2026, 10, 2, 12)) });
    machine.clock.now = new Date(Date.UTC(2026, 10, 5));
    const error = await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(files))),
      'expired',
    );
    expect(error.message).toContain('This bundle expired on 2 Nov 2026 — ask HQ for a fresh one');
  });

  it('refuses an expired bundle after the clock is set back below the highest time seen, across restarts (expired)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab, new Date(Date.UTC(2026, 11, 20)));
    await machine.importFile(
      await tarOf(bundleEntries(lab.metadata({ version: 7, expires: new Date(Date.UTC(2027, 0, 30)) }))),
    );
    machine.reopen();
    machine.clock.now = new Date(Date.UTC(2026, 11, 1));
    const stale = lab.metadata({ version: 8, expires: new Date(Date.UTC(2026, 11, 10)) });
    const error = await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(stale))),
      'expired',
    );
    expect(error.message).toMatch(/clock reads earlier/);
  });
});

describe('delegations', () => {
  it('refuses the models role signing a release path (delegation_violation)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 9 });
    const release = sampleTargets()[0]!;
    lab.rewriteRole(files, 'models', (signed) => {
      (signed['targets'] as JsonObject)['releases/evil/9.9/app.img'] = {
        length: release.content.length,
        hashes: { sha256: '0'.repeat(64) },
        custom: { kind: 'release', name: 'evil', version: '9.9', hardware: ['jetson-orin'] },
      };
    });
    await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(files))),
      'delegation_violation',
    );
  });

  it('refuses a delegation cycle (delegation_violation)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 9 });
    const targetsDelegations = (JSON.parse(Buffer.from(files.get('targets.json')!).toString()) as JsonObject)[
      'signed'
    ] as JsonObject;
    const delegations = targetsDelegations['delegations'] as JsonObject;
    lab.rewriteRole(files, 'models', (signed) => {
      signed['delegations'] = {
        keys: delegations['keys']!,
        roles: [(delegations['roles'] as JsonObject[])[0]!],
      };
    });
    await expectRefused(
      machine,
      machine.importFile(await tarOf(bundleEntries(files))),
      'delegation_violation',
    );
  });
});

describe('targets', () => {
  it('refuses a target longer than its signed length (length_mismatch)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const entries = bundleEntries(lab.metadata({ version: 2 }));
    const last = entries[entries.length - 1]!;
    entries[entries.length - 1] = {
      header: last.header,
      data: Buffer.concat([last.data!, Buffer.from('extra')]),
    };
    await expectRefused(machine, machine.importFile(await tarOf(entries)), 'length_mismatch');
  });

  it('refuses a target of the right length with the wrong hash (hash_mismatch)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const entries = bundleEntries(lab.metadata({ version: 2 }));
    const release = entries.find((e) => e.header.name.includes('edge-app'))!;
    const data = Buffer.from(release.data!);
    data[data.length - 1] = data[data.length - 1]! ^ 1;
    entries[entries.indexOf(release)] = { header: release.header, data };
    await expectRefused(machine, machine.importFile(await tarOf(entries)), 'hash_mismatch');
  });

  it('refuses a 10 GB declared length with a tiny file, without reading it (length_mismatch)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 2 });
    const release = sampleTargets()[0]!;
    lab.rewriteRole(files, 'releases', (signed) => {
      const entry = (signed['targets'] as JsonObject)['releases/edge-app/2.4.1/app.img'] as JsonObject;
      entry['length'] = 10_000_000_000;
    });
    const entries = bundleEntries(files);
    expect(release.content.length).toBeLessThan(100_000);
    await expectRefused(machine, machine.importFile(await tarOf(entries)), 'length_mismatch');
  });

  it('refuses a file swapped on the stick between verify and copy (hash_mismatch)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const path = await tarOf(bundleEntries(lab.metadata({ version: 2 })));
    const content = readFileSync(path);
    const offset = content.indexOf(Buffer.alloc(1000, 'a'));
    await expectRefused(
      machine,
      machine.importFile(path, (phase) => {
        if (phase !== 'copying') return;
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.alloc(1000, 'z'), 0, 1000, offset);
        closeSync(fd);
      }),
      'hash_mismatch',
    );
  });

  it('refuses non-canonical JSON (non_canonical)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const files = lab.metadata({ version: 2 });
    const pretty = JSON.stringify(JSON.parse(Buffer.from(files.get('timestamp.json')!).toString()), null, 2);
    files.set('timestamp.json', Buffer.from(pretty));
    await expectRefused(machine, machine.importFile(await tarOf(bundleEntries(files))), 'non_canonical');
  });
});

describe('archive entries', () => {
  const hostile: [string, LabEntry, ErrorCode][] = [
    ['a .. path', { header: { name: 'targets/../../evil.sh' }, data: Buffer.from('x') }, 'unsafe_path'],
    ['an absolute path', { header: { name: '/etc/cron.d/evil' }, data: Buffer.from('x') }, 'unsafe_path'],
    ['a drive path', { header: { name: 'C:/Windows/evil.dll' }, data: Buffer.from('x') }, 'unsafe_path'],
    [
      'a symlink',
      { header: { name: 'targets/link', type: 'symlink', linkname: '/etc/passwd' } },
      'unsafe_path',
    ],
    [
      'a hardlink',
      { header: { name: 'targets/hard', type: 'link', linkname: 'metadata/timestamp.json' } },
      'unsafe_path',
    ],
    [
      'a character device',
      { header: { name: 'targets/tty', type: 'character-device', devmajor: 4, devminor: 1 } },
      'unsafe_path',
    ],
    ['a FIFO', { header: { name: 'targets/pipe', type: 'fifo' } }, 'unsafe_path'],
  ];
  for (const [what, entry, code] of hostile) {
    it(`refuses ${what} (${code})`, async () => {
      const lab = new BundleLab();
      const machine = laptop(lab);
      const entries = bundleEntries(lab.metadata({ version: 2 }));
      // Hostile entries after the metadata, before the targets: still refused before any target is read.
      entries.splice(6, 0, entry);
      await expectRefused(machine, machine.importFile(await tarOf(entries)), code);
    });
  }

  it('refuses a folder bundle holding a symlink (unsafe_path)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const dir = writeFolder(tempDir(), bundleEntries(lab.metadata({ version: 2 })));
    symlinkSync('/etc/passwd', join(dir, 'targets', 'passwd'));
    await expectRefused(machine, machine.importFile(dir), 'unsafe_path');
  });

  it('refuses a truncated archive (truncated)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const path = await tarOf(bundleEntries(lab.metadata({ version: 2 })));
    truncateSync(path, statSync(path).size - 40_000);
    await expectRefused(machine, machine.importFile(path), 'truncated');
  });

  it('refuses garbage instead of a tar (not_a_bundle)', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const path = join(tempDir(), 'garbage.dhb');
    writeFileSync(path, Buffer.from('PK\u0003\u0004 this is a zip file, not a bundle'.repeat(100)));
    await expectRefused(machine, machine.importFile(path), 'not_a_bundle');
  });
});

describe('cancel', () => {
  it('leaves nothing behind when cancelled during the copy', async () => {
    const lab = new BundleLab();
    const machine = laptop(lab);
    const path = await tarOf(bundleEntries(lab.metadata({ version: 2 })));
    const jobId = 'cancel-me';
    const attempt = machine.backend.bundles.import({
      path,
      jobId,
      onPhase: (phase) => {
        if (phase === 'copying') machine.backend.bundles.cancel(jobId);
      },
    });
    await expectRefused(machine, attempt, 'cancelled');
    expect(machine.backend.bundles.list().imports).toEqual([]);
  });
});
