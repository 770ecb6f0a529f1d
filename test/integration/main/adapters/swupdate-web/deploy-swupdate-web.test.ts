/**
 * Issue #8's done criterion for SWUpdate through the real `deckhand` bin: a CMS-signed .swu carried
 * in HQ's signed bundle is deployed to swupdate://127.0.0.1:PORT, Debian's SWUpdate daemon with its
 * web server, which checks the signature itself and installs it; the file lands on the "device".
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, requirePrerequisite } from '../../../../support/prerequisites';
import { runDeckhandAsync, type DeployResult } from '../../../../support/run-deckhand';
import {
  createSwupdateLab,
  LAB_HW_BOARD,
  startSwupdateWeb,
  type SwupdateDaemon,
  type SwupdateLab,
} from '../../../../support/swupdate-lab';

const present = requirePrerequisite(
  hasCommand('swupdate') && hasCommand('cpio') && hasCommand('openssl'),
  'swupdate, cpio and openssl',
  'apt-get install swupdate cpio openssl',
);

describe.skipIf(!present)('deckhand deploy to swupdate://', { timeout: 180_000 }, () => {
  let work: string;
  let lab: SwupdateLab;
  let daemon: SwupdateDaemon;
  const payload = Buffer.from('edge-os 5.0.0 image\n'.repeat(20_000));
  const env = { DECKHAND_SWUPDATE_HARDWARE: LAB_HW_BOARD };
  const cli = (...args: string[]) => runDeckhandAsync([...args, '--data-dir', join(work, 'laptop')], env);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'deckhand-deploy-swupdate-'));
    mkdirSync(join(work, 'device'));
    lab = createSwupdateLab(work);
    daemon = await startSwupdateWeb(lab);
    const swu = lab.buildSwu('edge-os', '5.0.0', [
      { filename: 'rootfs.img', content: payload, path: join(work, 'device', 'rootfs.img') },
    ]);
    const keys = join(work, 'keys');
    expect((await cli('keys', 'init', '--out', keys)).code).toBe(0);
    const created = await cli(
      'bundle',
      'create',
      '--keys',
      keys,
      '--out',
      join(work, 'fleet.dhb'),
      '--release',
      swu,
      '--name',
      'edge-os',
      '--version',
      '5.0.0',
      '--hardware',
      LAB_HW_BOARD,
      '--install',
      'swupdate',
    );
    expect(created.code, created.stderr).toBe(0);
    expect((await cli('trust', 'pin', join(keys, 'root.json'))).code).toBe(0);
    const imported = await cli('import', join(work, 'fleet.dhb'));
    expect(imported.code, imported.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await daemon?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('uploads the .swu to SWUpdate, which verifies and installs it', async () => {
    const uri = `swupdate://127.0.0.1:${daemon.port}`;
    const run = await cli('deploy', '--target', 'edge-os@5.0.0', '--device', uri, '--json');
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as DeployResult;
    // SWUpdate has no commit step: the engine ends the run once SWUpdate reports success.
    expect(result.devices, run.stderr + run.stdout).toMatchObject([
      { device: uri, outcome: 'committed', code: null },
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(work, 'device', 'rootfs.img')).equals(payload)).toBe(true);
    expect(daemon.output()).toContain('Verified OK');
  });
});
