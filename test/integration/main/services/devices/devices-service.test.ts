import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent, type RunningAgent } from '../../../../../agent/run-agent';
import { openBackend, type Backend } from '../../../../../main/services/backend';
import type { DiscoveryEvent, DiscoverySource } from '../../../../../main/services/devices/discovery-source';
import { DevicePins } from '../../../../../main/services/devices/device-pins';
import type { EventName } from '../../../../../main/ipc/contract';
import { BundleLab } from '../../../../support/bundle-lab';
import { LAB_HARDWARE, startAgent, writeRoot } from '../../../../support/agent-lab';
import { useTempDirs } from '../../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-devices-');
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(dataDir: string, sources: DiscoverySource[] = []): Backend {
  const backend = openBackend({
    dataDir,
    host: 'cli',
    version: '0.0.0-test',
    discoverySources: sources,
  });
  cleanups.push(() => backend.close());
  return backend;
}

async function agentIn(dir: string, serial: string, root?: string, port = 0): Promise<RunningAgent> {
  const agent =
    port === 0
      ? await startAgent(join(dir, serial), root, serial)
      : await runAgent({
          stateDir: join(dir, serial),
          listen: `127.0.0.1:${port}`,
          hardware: LAB_HARDWARE,
          serialNumber: serial,
        });
  cleanups.push(() => agent.close());
  return agent;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function recordEvents(backend: Backend): { name: EventName; payload: unknown }[] {
  const seen: { name: EventName; payload: unknown }[] = [];
  cleanups.push(backend.events.subscribe((name, payload) => seen.push({ name, payload })));
  return seen;
}

const kinds = (backend: Backend): string[] =>
  backend.logs
    .query({ offset: 0, limit: 100 })
    .rows.map((row) => row.kind)
    .reverse();

describe('devices service against real agents', () => {
  it('never trusts at first contact: the fingerprint must be confirmed, then identity and slots show', async () => {
    const dir = tempDir();
    const lab = new BundleLab();
    const agent = await agentIn(dir, 'SN-ONE', writeRoot(lab, dir));
    const uri = `tcp://127.0.0.1:${agent.address!.port}`;
    const backend = open(join(dir, 'data'));
    const events = recordEvents(backend);

    const added = await backend.handlers['devices.add']({ uri });
    expect(added).toMatchObject({
      uri,
      link: 'tcp',
      manual: true,
      state: 'unconfirmed',
      seenFingerprint: agent.fingerprint,
      pinnedFingerprint: null,
      identity: null,
      status: null,
    });
    expect(added.lastSeen).not.toBeNull();
    expect(new DevicePins(join(dir, 'data')).get(uri)).toBeUndefined();
    expect(events.map((e) => e.name)).toContain('device.attached');
    expect(events.map((e) => e.name)).toContain('devices.changed');

    // A fingerprint that is not the device's is refused, and nothing is pinned.
    const wrong = 'AA:'.repeat(31) + 'AA';
    await expect(
      backend.handlers['devices.confirmFingerprint']({ uri, fingerprint: wrong }),
    ).rejects.toMatchObject({ code: 'untrusted_device' });
    expect(new DevicePins(join(dir, 'data')).get(uri)).toBeUndefined();

    const confirmed = await backend.handlers['devices.confirmFingerprint']({
      uri,
      fingerprint: agent.fingerprint,
    });
    expect(confirmed).toMatchObject({
      state: 'online',
      pinnedFingerprint: agent.fingerprint,
      identity: { hardware: LAB_HARDWARE, serialNumber: 'SN-ONE', trustRootPinned: true },
      status: { slots: { a: null, b: null }, counter: 0 },
      error: null,
    });
    expect(confirmed.identity?.keyFingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(kinds(backend)).toEqual(['device.added', 'device.pinned']);

    // The manual list and the pin survive reopening the data folder.
    backend.close();
    cleanups.pop();
    const again = open(join(dir, 'data'));
    expect(again.devices.list()).toMatchObject({
      devices: [{ uri, state: 'checking', pinnedFingerprint: agent.fingerprint }],
    });
    const refreshed = await again.handlers['devices.refresh'](undefined);
    expect(refreshed.devices[0]).toMatchObject({ state: 'online', identity: { serialNumber: 'SN-ONE' } });

    expect(again.handlers['devices.remove']({ uri })).toEqual({ removed: true });
    expect(again.devices.list().devices).toEqual([]);
    expect(new DevicePins(join(dir, 'data')).get(uri)).toBeUndefined();
    expect(kinds(again)).toEqual(['device.added', 'device.pinned', 'device.removed']);
  });

  it('refuses a device whose certificate changed, with a coded error and the new fingerprint', async () => {
    const dir = tempDir();
    const first = await agentIn(dir, 'SN-OLD');
    const port = first.address!.port;
    const uri = `tcp://127.0.0.1:${port}`;
    const backend = open(join(dir, 'data'));
    await backend.handlers['devices.add']({ uri });
    await backend.handlers['devices.confirmFingerprint']({ uri, fingerprint: first.fingerprint });
    await first.close();

    const events = recordEvents(backend);
    const offline = await backend.handlers['devices.refresh']({ uri });
    expect(offline.devices[0]).toMatchObject({ state: 'offline', error: { code: 'link_lost' } });
    expect(events.map((e) => e.name)).toContain('device.detached');

    // Another device (another key) answers on the same address.
    const impostor = await agentIn(dir, 'SN-NEW', undefined, port);
    expect(impostor.fingerprint).not.toBe(first.fingerprint);
    const refused = await backend.handlers['devices.refresh']({ uri });
    expect(refused.devices[0]).toMatchObject({
      state: 'error',
      error: { code: 'untrusted_device' },
      pinnedFingerprint: first.fingerprint,
      seenFingerprint: impostor.fingerprint,
      identity: null,
    });
    expect(refused.devices[0]!.error!.message).toMatch(/different certificate/);

    // Only an explicit confirmation of the new fingerprint re-pins it (and the log says so).
    const trusted = await backend.handlers['devices.confirmFingerprint']({
      uri,
      fingerprint: impostor.fingerprint,
    });
    expect(trusted).toMatchObject({ state: 'online', identity: { serialNumber: 'SN-NEW' } });
    const pinned = backend.logs.query({ offset: 0, limit: 1, kind: 'device.pinned' }).rows[0]!;
    expect(pinned.payload).toMatchObject({ previous: first.fingerprint, fingerprint: impostor.fingerprint });
  });

  it('shows an unreachable address as offline and an unknown scheme as invalid input', async () => {
    const dir = tempDir();
    const backend = open(join(dir, 'data'));
    const uri = `tcp://127.0.0.1:${await freePort()}`;
    const added = await backend.handlers['devices.add']({ uri });
    expect(added).toMatchObject({ state: 'offline', error: { code: 'link_lost' }, lastSeen: null });
    await expect(backend.handlers['devices.add']({ uri: 'ftp://x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(backend.handlers['devices.refresh']({ uri: 'tcp://10.9.9.9:1' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('merges candidates from discovery sources and drops them when lost', async () => {
    const dir = tempDir();
    const agent = await agentIn(dir, 'SN-LAN');
    const uri = `tcp://127.0.0.1:${agent.address!.port}`;
    let emit: (event: DiscoveryEvent) => void = () => undefined;
    const source: DiscoverySource = {
      name: 'fake mDNS',
      start: (onEvent) => {
        emit = onEvent;
        return () => undefined;
      },
      scan: () => Promise.resolve([]),
    };
    const backend = open(join(dir, 'data'), [source]);
    const stop = backend.devices.watch(60_000);
    cleanups.push(stop);
    emit({ type: 'found', uri, transport: 'lan', label: 'rig-7._deckhand._tcp' });
    await expect.poll(() => backend.devices.list().devices[0]?.state).toBe('unconfirmed');
    expect(backend.devices.list().devices[0]).toMatchObject({
      source: 'lan',
      manual: false,
      label: 'rig-7._deckhand._tcp',
    });
    emit({ type: 'lost', uri });
    expect(backend.devices.list().devices).toEqual([]);
    expect(kinds(backend)).toEqual([]);
  });
});
