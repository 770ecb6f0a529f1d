import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeviceUri, type DeviceUri } from '../../../../../core/device-uri/device-uri';
import { ProgressMeter } from '../../../../../core/progress/progress-meter';
import { DeckhandError } from '../../../../../core/result';
import { buildMcubootImage, parseMcubootImage } from '../../../../../core/smp/mcuboot-image';
import { SmpClient } from '../../../../../main/adapters/smp/smp-client';
import { SmpConnector, type SmpSession } from '../../../../../main/adapters/smp/smp-connector';
import { openSmpTransport } from '../../../../../main/adapters/smp/smp-transport';
import { hasSocat, openPtyPair } from '../../../../support/noisy-bridge';
import { requirePrerequisite } from '../../../../support/prerequisites';
import { seededRandom } from '../../../../support/seeded-random';
import { SmpDeviceModel, serveSmpSerial, serveSmpUdp } from '../../../../support/smp-device-model';
import { useTempDirs } from '../../../../support/temp-dir';
import { updaterTarget } from '../../../../support/updater-target';

const tempDir = useTempDirs('deckhand-smp-');
const socat = requirePrerequisite(hasSocat(), 'socat', 'apt-get install socat');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function image(version: string, bytes: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const body = Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
  const [major, minor, revision] = version.split('.').map(Number);
  return buildMcubootImage(body, { major: major!, minor: minor!, revision: revision!, build: 0 });
}

function uriOf(text: string): DeviceUri {
  const parsed = parseDeviceUri(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

function meter(): ProgressMeter {
  return new ProgressMeter({ jobId: 'smp', totalBytes: null, emit: () => undefined });
}

const FAST = { client: { timeoutMs: 300, attempts: 3 }, rebootTimeoutMs: 5_000 } as const;

/** The same model served over a socat pty pair or UDP on 127.0.0.1. */
async function serve(model: SmpDeviceModel, transport: 'serial' | 'udp'): Promise<DeviceUri> {
  if (transport === 'udp') {
    const server = await serveSmpUdp(model);
    cleanups.push(() => server.close());
    return uriOf(`smp+udp://127.0.0.1:${server.port}`);
  }
  const pair = await openPtyPair();
  cleanups.push(() => pair.close());
  const server = serveSmpSerial(model, pair.a);
  cleanups.push(() => server.close());
  return uriOf(`smp+serial://${pair.b}`);
}

async function connect(uri: DeviceUri): Promise<SmpSession> {
  const session = (await new SmpConnector(FAST).connect(uri, { pinnedFingerprint: null })) as SmpSession;
  cleanups.push(() => void session.close());
  return session;
}

for (const transport of ['serial', 'udp'] as const) {
  describe.skipIf(transport === 'serial' && !socat)(`MCUmgr SMP over ${transport}`, () => {
    it('uploads, tests, resets into the new image and confirms it; the states read back at each step', async () => {
      const dir = tempDir();
      const oldImage = image('1.0.0', 3000, 1);
      const newImage = image('1.1.0', 20_000, 2);
      writeFileSync(join(dir, 'fw.bin'), newImage);
      const target = updaterTarget(join(dir, 'fw.bin'), 'sensor-fw', '1.1.0', 'smp');
      const newHash = parseMcubootImage(newImage).hash;
      const model = new SmpDeviceModel({ initialImage: oldImage, bufSize: 1024 });
      const session = await connect(await serve(model, transport));
      expect(session.capabilities.has('resume')).toBe(true);

      const before = await session.snapshot();
      expect(before.releases.map((r) => [r.version, r.state])).toEqual([['1.0.0', 'active']]);

      await session.upload(target, meter(), new AbortController().signal);
      expect((await session.verify(target)).detail).toContain('1.1.0');
      await session.install(target, meter(), new AbortController().signal);
      const pending = await session.snapshot();
      expect(pending.releases.map((r) => [r.version, r.state])).toEqual([
        ['1.0.0', 'active'],
        ['1.1.0', 'trial'],
      ]);
      expect(pending.trial).toBe(false);

      await session.reboot(new AbortController().signal);
      const onTrial = await session.snapshot();
      expect(onTrial.trial).toBe(true);
      expect(onTrial.releases.map((r) => [r.version, r.state, r.sha256])).toEqual([
        ['1.1.0', 'trial', newHash],
        ['1.0.0', 'inactive', parseMcubootImage(oldImage).hash],
      ]);

      await session.commit(target);
      const committed = await session.snapshot();
      expect(committed.trial).toBe(false);
      expect(committed.releases[0]).toMatchObject({ version: '1.1.0', state: 'active' });
      // Another reset keeps the confirmed image.
      await session.reboot(new AbortController().signal);
      expect(model.runningImage.equals(newImage)).toBe(true);
    });

    it('reverts to the old image when the new one is reset without a confirm (rollback)', async () => {
      const dir = tempDir();
      const oldImage = image('1.0.0', 2000, 3);
      writeFileSync(join(dir, 'fw.bin'), image('2.0.0', 4000, 4));
      const target = updaterTarget(join(dir, 'fw.bin'), 'sensor-fw', '2.0.0', 'smp');
      const model = new SmpDeviceModel({ initialImage: oldImage });
      const session = await connect(await serve(model, transport));
      await session.upload(target, meter(), new AbortController().signal);
      await session.install(target, meter(), new AbortController().signal);
      await session.reboot(new AbortController().signal);
      expect((await session.snapshot()).trial).toBe(true);
      const outcome = await session.rollback('health check failed');
      expect(outcome.detail).toContain('running 1.0.0');
      expect(model.runningImage.equals(oldImage)).toBe(true);
      await expect(session.commit(target)).rejects.toMatchObject({ code: 'invalid_state' });
      await expect(session.rollback('again')).rejects.toMatchObject({ code: 'invalid_state' });
    });

    it('resumes an upload cut part-way from the offset the device reports', async () => {
      const dir = tempDir();
      const newImage = image('1.2.0', 30_000, 5);
      writeFileSync(join(dir, 'fw.bin'), newImage);
      const target = updaterTarget(join(dir, 'fw.bin'), 'sensor-fw', '1.2.0', 'smp');
      const model = new SmpDeviceModel({ initialImage: image('1.0.0', 1000, 6), bufSize: 512 });
      const uri = await serve(model, transport);
      model.silentAfter = 10_000; // the cable is pulled once 10 kB are in
      const first = await connect(uri);
      await expect(first.upload(target, meter(), new AbortController().signal)).rejects.toMatchObject({
        code: 'link_lost',
      });
      const held = model.uploadOffset;
      expect(held).toBeGreaterThanOrEqual(10_000);
      await first.close();

      model.silentAfter = null; // plugged back in
      const transportAgain = await openSmpTransport(uri as Parameters<typeof openSmpTransport>[0]);
      const client = new SmpClient(transportAgain, { timeoutMs: 300 });
      cleanups.push(() => client.close());
      await client.negotiate();
      const resumedFrom = await client.upload(newImage, { sha256: target.sha256 });
      expect(resumedFrom).toBe(held);
      const slots = await client.imageList();
      expect(slots[1]?.hash).toBe(parseMcubootImage(newImage).hash);
    });

    it('uses the packet size the device reports (MCUmgr params) and stays within it', async () => {
      const small = new SmpDeviceModel({ initialImage: image('1.0.0', 500, 7), bufSize: 256 });
      const smallSession = await connect(await serve(small, transport));
      expect(smallSession.packetBytes).toBe(256);
      const big = new SmpDeviceModel({ initialImage: image('1.0.0', 500, 8), bufSize: 4096 });
      const bigSession = await connect(await serve(big, transport));
      expect(bigSession.packetBytes).toBe(4096);
      const dir = tempDir();
      writeFileSync(join(dir, 'fw.bin'), image('1.0.1', 12_000, 9));
      const target = updaterTarget(join(dir, 'fw.bin'), 'fw', '1.0.1', 'smp');
      await smallSession.upload(target, meter(), new AbortController().signal);
      await bigSession.upload(target, meter(), new AbortController().signal);
      expect(small.oversizeDropped).toBe(0);
      expect(small.largestRequest).toBeLessThanOrEqual(256);
      expect(small.largestRequest).toBeGreaterThan(200);
      expect(big.largestRequest).toBeGreaterThan(3500);
      expect(big.largestRequest).toBeLessThanOrEqual(4096);
      // A firmware with SMP v1 only: the client falls back to v1 and carries on.
      const v1Only = new SmpDeviceModel({
        initialImage: image('1.0.0', 500, 15),
        smpV2: false,
        bufSize: 1024,
      });
      expect((await connect(await serve(v1Only, transport))).packetBytes).toBe(1024);
      // Without the params command, the client keeps Zephyr's default buffer size.
      const plain = new SmpDeviceModel({ initialImage: image('1.0.0', 500, 10), paramsCommand: false });
      expect((await connect(await serve(plain, transport))).packetBytes).toBe(384);
    });

    it('gets the errors a real device gives for requests out of place', async () => {
      const oldImage = image('1.0.0', 1000, 11);
      const model = new SmpDeviceModel({ initialImage: oldImage, slotBytes: 64 * 1024, bufSize: 8192 });
      const uri = await serve(model, transport);
      const client = new SmpClient(await openSmpTransport(uri as Parameters<typeof openSmpTransport>[0]), {
        timeoutMs: 300,
      });
      cleanups.push(() => client.close());
      const codeOf = async (work: Promise<unknown>): Promise<[string, string]> => {
        try {
          await work;
          return ['none', ''];
        } catch (error) {
          if (!(error instanceof DeckhandError)) throw error;
          return [error.code, (error.details as { name?: string } | undefined)?.name ?? error.message];
        }
      };
      // Unknown group → MGMT_ERR_ENOTSUP.
      expect(await codeOf(client.request(0, 42, 0, {}))).toEqual(['not_supported', 'MGMT_ERR_ENOTSUP']);
      // First upload packet without len → MGMT_ERR_EINVAL.
      expect(await codeOf(client.request(2, 1, 1, { off: 0, data: new Uint8Array(8) }))).toEqual([
        'protocol_error',
        'MGMT_ERR_EINVAL',
      ]);
      // Too large for the slot.
      const huge = image('9.0.0', 70_000, 12);
      expect(await codeOf(client.upload(huge, { sha256: '00'.repeat(32) }))).toEqual([
        'bad_target',
        'IMG_MGMT_ERR_INVALID_IMAGE_TOO_LARGE',
      ]);
      // Not an MCUboot image.
      expect(await codeOf(client.upload(Buffer.alloc(2000, 1), { sha256: '00'.repeat(32) }))).toEqual([
        'bad_target',
        'IMG_MGMT_ERR_INVALID_IMAGE_HEADER_MAGIC',
      ]);
      // Whole-file sha that does not match what arrived.
      const next = image('1.1.0', 3000, 13);
      expect(await codeOf(client.upload(next, { sha256: 'ab'.repeat(32) }))).toEqual([
        'hash_mismatch',
        'IMG_MGMT_ERR_INVALID_HASH',
      ]);
      // A wrong offset is answered with the offset the device expects, not an error.
      const sha = (await import('node:crypto')).createHash('sha256').update(next).digest('hex');
      await client.request(2, 1, 1, {
        image: 0,
        len: next.length,
        off: 0,
        sha: Buffer.from(sha, 'hex'),
        data: next.subarray(0, 100),
      });
      const answer = await client.request(2, 1, 1, { off: 500, data: next.subarray(500, 600) });
      expect(answer['off']).toBe(100);
      // Data past len → overrun.
      expect(await codeOf(client.request(2, 1, 1, { off: 100, data: Buffer.alloc(next.length) }))).toEqual([
        'length_mismatch',
        'IMG_MGMT_ERR_INVALID_IMAGE_DATA_OVERRUN',
      ]);
      await client.upload(next, { sha256: sha });
      const nextHash = parseMcubootImage(next).hash;
      const oldHash = parseMcubootImage(oldImage).hash;
      // Testing the running image, or an unknown hash.
      expect(await codeOf(client.test(oldHash))).toEqual([
        'invalid_state',
        'IMG_MGMT_ERR_IMAGE_SETTING_TEST_TO_ACTIVE_DENIED',
      ]);
      expect(await codeOf(client.test('cd'.repeat(32)))).toEqual([
        'not_found',
        'IMG_MGMT_ERR_HASH_NOT_FOUND',
      ]);
      await client.test(nextHash);
      // Slot 1 is pending: a new upload is refused.
      expect(await codeOf(client.upload(image('1.2.0', 500, 14), { sha256: '00'.repeat(32) }))).toEqual([
        'invalid_state',
        'IMG_MGMT_ERR_NO_FREE_SLOT',
      ]);
      // An SMP v1 client gets the translated v1 code.
      const v1 = new SmpClient(await openSmpTransport(uri as Parameters<typeof openSmpTransport>[0]), {
        timeoutMs: 300,
        version: 0,
      });
      cleanups.push(() => v1.close());
      if (transport === 'udp') {
        expect(await codeOf(v1.upload(image('1.2.0', 500, 14), { sha256: '00'.repeat(32) }))).toEqual([
          'invalid_state',
          'MGMT_ERR_EBADSTATE',
        ]);
      }
    });
  });
}
