/**
 * mDNS discovery across a real (virtual) LAN: two network namespaces joined by a veth pair; the agent
 * listens and advertises in one, `deckhand devices --scan` browses in the other. No traffic touches a
 * real interface. Needs root and iproute2 (skips with a reason on a developer machine, fails in CI).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, requirePrerequisite } from '../../../support/prerequisites';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-mdns-netns-');
const BIN = join(import.meta.dirname, '../../../../bin/deckhand.mjs');
const isRoot = process.getuid?.() === 0;
const present = requirePrerequisite(
  isRoot && hasCommand('ip'),
  'root and iproute2 for network namespaces',
  'run the tests as root (CI does); apt-get install iproute2',
);

const tag = `${process.pid % 100_000}`;
const nsAgent = `dh-agent-${tag}`;
const nsLaptop = `dh-laptop-${tag}`;
const AGENT_IP = '10.77.0.1';
const LAPTOP_IP = '10.77.0.2';

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: 'pipe' });
};

function setUpLan(): void {
  ip('netns', 'add', nsAgent);
  ip('netns', 'add', nsLaptop);
  ip('link', 'add', `dha${tag}`, 'type', 'veth', 'peer', 'name', `dhl${tag}`);
  for (const [ns, dev, addr] of [
    [nsAgent, `dha${tag}`, AGENT_IP],
    [nsLaptop, `dhl${tag}`, LAPTOP_IP],
  ] as const) {
    ip('link', 'set', dev, 'netns', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev);
    ip('-n', ns, 'link', 'set', dev, 'up', 'multicast', 'on');
    ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', dev);
  }
}

function tearDownLan(): void {
  for (const ns of [nsAgent, nsLaptop]) {
    try {
      ip('netns', 'del', ns); // takes its end of the veth pair, and so the pair, with it
    } catch {
      // not created
    }
  }
}

function inNs(ns: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe.skipIf(!present)('mDNS discovery between two network namespaces', () => {
  let agent: ChildProcess | null = null;

  beforeAll(async () => {
    tearDownLan();
    setUpLan();
    agent = inNs(nsAgent, [
      'agent',
      '--state',
      tempDir(),
      '--listen',
      `${AGENT_IP}:7878`,
      '--hardware',
      'jetson-orin',
      '--serial-number',
      'SN-NETNS-1',
      '--json',
    ]);
    const [line] = (await once(agent.stdout!, 'data')) as [Buffer];
    expect(JSON.parse(line.toString())).toMatchObject({ ok: true, uri: `tcp://${AGENT_IP}:7878` });
  }, 30_000);

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      agent.kill('SIGTERM');
      await once(agent, 'exit');
    }
    tearDownLan();
  });

  it('devices --scan in the laptop namespace finds the agent advertised in the other', async () => {
    const scan = await output(
      inNs(nsLaptop, ['devices', '--scan', '--timeout', '3s', '--interface', LAPTOP_IP, '--json']),
    );
    expect(scan.code, scan.stderr).toBe(0);
    const result = JSON.parse(scan.stdout) as {
      ok: boolean;
      candidates: { uri: string; details?: object }[];
    };
    expect(result.ok).toBe(true);
    const lan = result.candidates.filter((c) => c.uri.startsWith('tcp://'));
    expect(lan).toEqual([
      expect.objectContaining({
        uri: `tcp://${AGENT_IP}:7878`,
        transport: 'lan',
        source: 'mDNS',
        details: expect.objectContaining({ serialNumber: 'SN-NETNS-1', hardware: 'jetson-orin' }),
      }),
    ]);
  }, 30_000);
});
