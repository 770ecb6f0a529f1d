import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyReceipt } from '../../../agent/receipts';
import { PAYLOAD_FILE } from '../../../agent/slot-installer';
import { encodeFrame, FrameFlag, FrameType } from '../../../core/protocol/frame-codec';
import { encodeMessage } from '../../../core/protocol/message-codec';
import { toMetadataSet } from '../../../core/protocol/messages';
import { uploadWithResume } from '../../../main/adapters/agent-client/agent-connection';
import { BundleLab } from '../../support/bundle-lab';
import { connectTo, makeReleases, startAgent, startCuttingProxy, writeRoot } from '../../support/agent-lab';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs('deckhand-agent-');
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function setup(specs: Parameters<typeof makeReleases>[2] = [{ version: '1.0', bytes: 300_000 }]) {
  const dir = tempDir();
  const lab = new BundleLab();
  const releases = makeReleases(lab, dir, specs);
  const agent = await startAgent(join(dir, 'state'), writeRoot(lab, dir));
  const client = await connectTo(agent.address!.port, agent.fingerprint);
  return { dir, lab, releases, agent, client, stateDir: join(dir, 'state') };
}

async function expectCode<T>(promise: Promise<T>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

describe('agent over TLS: deploy flow', () => {
  it('uploads, verifies, installs, tests on reboot, commits; receipts verify; an uncommitted reboot reverts', async () => {
    const { releases, agent, client, stateDir } = await setup([
      { version: '1.0', bytes: 300_000, releaseCounter: 1 },
      { version: '2.0', bytes: 200_000, releaseCounter: 2 },
    ]);
    const [v1, v2] = releases as [(typeof releases)[0], (typeof releases)[0]];
    try {
      expect(client.hello.version).toBe(2);
      expect(client.hello.identity).toMatchObject({
        hardware: 'jetson-orin',
        serialNumber: 'SN-TEST-1',
        trustRootPinned: true,
      });

      await client.upload(v1.file, { sha256: v1.sha256, length: v1.content.length, chunkBytes: 64 * 1024 });
      expect(await client.verify(v1.path, v1.metadata)).toMatchObject({
        sha256: v1.sha256,
        version: '1.0',
        releaseCounter: 1,
      });
      const installed = await client.install(v1.path, v1.metadata);
      expect(installed.slot).toBe('a');
      expect(verifyReceipt(installed.receipt)).toBe(true);
      expect(readFileSync(join(stateDir, 'slots', 'a', PAYLOAD_FILE)).equals(v1.content)).toBe(true);

      expect(await client.activate()).toEqual({ pending: 'a' });
      expect(await client.reboot()).toMatchObject({ booted: 'a', reverted: false });
      expect(await client.status()).toMatchObject({ booted: 'a', trial: true, confirmed: null });
      expect((await client.health()).healthy).toBe(true);
      const committed = await client.commit();
      expect(verifyReceipt(committed.receipt)).toBe(true);
      expect(await client.status()).toMatchObject({ booted: 'a', confirmed: 'a', trial: false, counter: 1 });

      // v2 into slot b, then a reboot without commit: MCUboot test → revert.
      await client.upload(v2.file, { sha256: v2.sha256, length: v2.content.length });
      expect((await client.install(v2.path, v2.metadata)).slot).toBe('b');
      await client.activate();
      expect(await client.reboot()).toMatchObject({ booted: 'b' });
      const reverted = await client.reboot();
      expect(reverted).toMatchObject({ booted: 'a', reverted: true });
      expect(reverted.receipt && verifyReceipt(reverted.receipt)).toBe(true);
      expect(reverted.receipt?.receipt).toMatchObject({ kind: 'rollback', slot: 'b' });

      // Explicit rollback from a trial.
      await client.activate();
      await client.reboot();
      const rolled = await client.rollback();
      expect(rolled.slot).toBe('a');
      expect(verifyReceipt(rolled.receipt)).toBe(true);
      const status = await client.status();
      expect(status).toMatchObject({ booted: 'a', confirmed: 'a', pending: null, trial: false });
      expect(status.receipts.map((r) => r.receipt.kind)).toEqual([
        'install',
        'commit',
        'install',
        'rollback',
        'rollback',
      ]);
      expect((await client.logs(5)).lines).toHaveLength(5);
      await expectCode(client.diagnostics({ action: 'poll', runId: 'no-such-run' }), 'not_found');
    } finally {
      client.close();
      await agent.close();
    }
  });

  it('refuses what a laptop skipping its own checks sends: altered bytes, altered metadata, no metadata, wrong pin', async () => {
    const { dir, releases, agent, client } = await setup();
    const v1 = releases[0]!;
    try {
      // Altered bytes, uploaded under their own (true) SHA-256, then installed with HQ's genuine metadata.
      const altered = Buffer.from(v1.content);
      altered[1000]! ^= 0xff;
      const alteredFile = join(dir, 'altered.img');
      writeFileSync(alteredFile, altered);
      await client.upload(alteredFile, { sha256: sha(altered), length: altered.length });
      await expectCode(client.install(v1.path, v1.metadata), 'bad_target');

      // Altered metadata: the laptop edits targets to name the altered file's hash (not re-signed).
      const files = new Map(Object.entries(v1.metadata.files).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      const releasesJson = JSON.parse(files.get('releases.json')!.toString()) as {
        signed: { targets: Record<string, { length: number; hashes: { sha256: string } }> };
      };
      releasesJson.signed.targets[v1.path]!.hashes.sha256 = sha(altered);
      files.set('releases.json', Buffer.from(JSON.stringify(releasesJson)));
      await expect(client.install(v1.path, toMetadataSet(files))).rejects.toHaveProperty('code');

      // Re-signed by keys HQ never delegated to.
      const rogue = new BundleLab();
      const forged = makeReleases(rogue, dir, [{ version: '1.0', bytes: 10 }])[0]!;
      await expect(client.install(forged.path, forged.metadata)).rejects.toHaveProperty('code');

      // A target the metadata does not list.
      await expectCode(client.install('releases/edge-app/9.9/app.img', v1.metadata), 'bad_target');
      expect((await client.status()).slots).toEqual({ a: null, b: null });

      // A laptop that pinned another device's certificate is refused before any message.
      await expect(connectTo(agent.address!.port, 'AA'.repeat(32))).rejects.toMatchObject({
        code: 'untrusted_device',
      });
    } finally {
      client.close();
      await agent.close();
    }
  });

  it('abandons an install whose stored bytes were damaged after the upload: slot untouched', async () => {
    const { releases, agent, client, stateDir } = await setup();
    const v1 = releases[0]!;
    try {
      await client.upload(v1.file, { sha256: v1.sha256, length: v1.content.length });
      const blob = join(stateDir, 'blobs', v1.sha256);
      const damaged = readFileSync(blob);
      damaged[damaged.length - 1]! ^= 0x01;
      writeFileSync(blob, damaged);
      // The install hashes the bytes it copies into the slot, so the damage is caught there.
      await expectCode(client.install(v1.path, v1.metadata), 'hash_mismatch');
      expect((await client.status()).slots).toEqual({ a: null, b: null });
      expect(readdirSync(join(stateDir, 'slots'))).toEqual([]);
    } finally {
      client.close();
      await agent.close();
    }
  });

  it('refuses older releases once a newer one is committed (anti-rollback counter)', async () => {
    const { releases, agent, client } = await setup([
      { version: '1.0', bytes: 1000, releaseCounter: 5 },
      { version: '0.9', bytes: 1000, releaseCounter: 4 },
    ]);
    const [newer, older] = releases as [(typeof releases)[0], (typeof releases)[0]];
    try {
      for (const r of [newer, older])
        await client.upload(r.file, { sha256: r.sha256, length: r.content.length });
      await client.install(newer.path, newer.metadata);
      await client.activate();
      await client.reboot();
      await client.commit();
      await expectCode(client.install(older.path, older.metadata), 'rollback');
    } finally {
      client.close();
      await agent.close();
    }
  });
});

describe('agent over TLS: faults', () => {
  it('resumes an upload cut at 20 random points and ends with a byte-identical target', async () => {
    const { releases, agent, client, stateDir } = await setup([{ version: '1.0', bytes: 3 * 1024 * 1024 }]);
    client.close();
    const v1 = releases[0]!;
    const cutAt = Array.from({ length: 20 }, () => Math.floor(Math.random() * v1.content.length * 0.95)).sort(
      (a, b) => a - b,
    );
    const proxy = await startCuttingProxy(agent.address!.port, cutAt);
    try {
      const done = await uploadWithResume(() => connectTo(proxy.port, agent.fingerprint), v1.file, {
        sha256: v1.sha256,
        length: v1.content.length,
        chunkBytes: 64 * 1024,
        retryDelayMs: 10,
      });
      expect(proxy.cuts()).toBe(20);
      expect(done.attempts).toBeGreaterThanOrEqual(2);
      expect(readFileSync(join(stateDir, 'blobs', v1.sha256)).equals(v1.content)).toBe(true);
    } finally {
      await proxy.close();
      await agent.close();
    }
  });

  it('answers malformed, oversized and out-of-order messages with coded errors, and keeps serving', async () => {
    const { agent, client } = await setup();
    const port = agent.address!.port;
    try {
      // Unknown verb, bad parameters, a wrong-offset upload, data before begin, commit with nothing on trial.
      await expect(client.peer.requestRaw('format-disk', {})).resolves.toMatchObject({
        ok: false,
        error: { code: 'unknown_verb' },
      });
      await expect(client.peer.requestRaw('logs', { lines: 'all' })).resolves.toMatchObject({
        ok: false,
        error: { code: 'invalid_input' },
      });
      const sha256 = 'ab'.repeat(32);
      await expect(
        client.peer.requestRaw('upload.data', { sha256, offset: 0 }, { body: Buffer.from('x') }),
      ).resolves.toMatchObject({
        ok: false,
        error: { code: 'invalid_state' },
      });
      await client.peer.requestRaw('upload.begin', { sha256, length: 10 });
      await expect(
        client.peer.requestRaw('upload.data', { sha256, offset: 5 }, { body: Buffer.from('x') }),
      ).resolves.toMatchObject({
        ok: false,
        error: { code: 'protocol_error', details: { expected: 0 } },
      });
      await expect(client.commit()).rejects.toMatchObject({ code: 'invalid_state' });
      // A frame whose JSON is not JSON: coded answer with id 0, session still usable.
      client.peer.sendPayload(Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('{{{')]));
      expect((await client.status()).booted).toBeNull();

      // A session that skips hello.
      const raw = await rawSession(port, agent.fingerprint);
      raw.send(
        encodeFrame(FrameType.message, 0, encodeMessage({ t: 'req', id: 1, verb: 'status', params: {} })),
      );
      expect(await raw.nextResponse()).toMatchObject({ id: 1, ok: false, error: { code: 'protocol_error' } });
      // Out-of-order frame sequence: refused, then the session is closed (no hang).
      raw.send(
        encodeFrame(FrameType.message, 7, encodeMessage({ t: 'req', id: 2, verb: 'ping', params: {} })),
      );
      expect(await raw.nextResponse()).toMatchObject({ id: 0, ok: false, error: { code: 'protocol_error' } });
      await raw.closed;

      // Oversized: a header announcing 64 MiB is refused from the header alone.
      const big = await rawSession(port, agent.fingerprint);
      big.send(encodeFrame(FrameType.message, 0, Buffer.alloc(64 * 1024 * 1024)).subarray(0, 16));
      expect(await big.nextResponse()).toMatchObject({
        id: 0,
        ok: false,
        error: { code: 'message_too_large' },
      });
      await big.closed;

      // Garbage bytes on the stream: refused and closed.
      const junk = await rawSession(port, agent.fingerprint);
      junk.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      expect(await junk.nextResponse()).toMatchObject({ ok: false, error: { code: 'protocol_error' } });
      await junk.closed;

      // Frames without a payload CRC only for a laptop that said it takes them (protocol 2).
      for (const versions of [[1], [1, 2]]) {
        const session = await rawSession(port, agent.fingerprint);
        const hello = { versions, client: { name: 'test', version: '0' } };
        const ask = (seq: number, id: number, verb: string, params: unknown) =>
          session.send(encodeFrame(FrameType.message, seq, encodeMessage({ t: 'req', id, verb, params })));
        ask(0, 1, 'hello', hello);
        expect(await session.nextResponse()).toMatchObject({
          id: 1,
          ok: true,
          value: { version: Math.max(...versions) },
        });
        ask(1, 2, 'status', {});
        expect(await session.nextResponse()).toMatchObject({ id: 2, ok: true });
        expect(session.flags.at(-1)).toBe(versions.includes(2) ? FrameFlag.noPayloadCrc : 0);
        session.close();
      }

      // The agent still serves.
      expect((await client.identify()).serialNumber).toBe('SN-TEST-1');
    } finally {
      client.close();
      await agent.close();
    }
  });
});

/** A bare TLS session that speaks raw frames (a broken or hostile laptop). */
async function rawSession(port: number, fingerprint: string) {
  const { connect } = await import('node:tls');
  const { FrameDecoder } = await import('../../../core/protocol/frame-codec');
  const { decodeMessage } = await import('../../../core/protocol/message-codec');
  const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  expect(socket.getPeerCertificate().fingerprint256).toBe(fingerprint);
  const responses: unknown[] = [];
  const waiters: ((v: unknown) => void)[] = [];
  const flags: number[] = [];
  const decoder = new FrameDecoder(16 * 1024 * 1024, {
    acceptNoPayloadCrc: true,
    onFrame: (f) => {
      flags.push(f.flags);
      const json = decodeMessage(f.payload).json;
      const waiter = waiters.shift();
      if (waiter) waiter(json);
      else responses.push(json);
    },
  });
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    send: (bytes: Buffer) => socket.write(bytes),
    /** The flags of every frame received so far. */
    flags,
    nextResponse: () =>
      responses.length > 0
        ? Promise.resolve(responses.shift())
        : new Promise((resolve) => waiters.push(resolve)),
    closed,
    close: () => socket.destroy(),
  };
}
