import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAgent } from '../../../agent/run-agent';
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import { connectAgent } from '../../../main/adapters/agent-client/agent-connection';
import { LAB_HARDWARE, makeReleases, writeRoot } from '../../support/agent-lab';
import { BundleLab } from '../../support/bundle-lab';
import { bridgeSerial, hasSocat, openPtyPair } from '../../support/noisy-bridge';
import { requirePrerequisite } from '../../support/prerequisites';
import { useTempDirs } from '../../support/temp-dir';

const tempDir = useTempDirs('deckhand-agent-serial-');
const present = requirePrerequisite(hasSocat(), 'socat', 'apt-get install socat');

describe('agent over a serial line (socat pty pairs)', () => {
  it.skipIf(!present)(
    'uploads and installs byte-identical through bit flips and dropped bytes, both ways',
    async () => {
      const dir = tempDir();
      const lab = new BundleLab();
      const [release] = makeReleases(lab, dir, [{ version: '1.0', bytes: 512 * 1024 }]);
      // agent ⇄ pty pair 1 ⇄ noisy bridge ⇄ pty pair 2 ⇄ laptop
      const deviceLine = await openPtyPair();
      const laptopLine = await openPtyPair();
      // forward: device → laptop (ACKs and answers, little traffic); backward: laptop → device (the upload).
      const bridge = bridgeSerial(deviceLine.b, laptopLine.a, {
        forward: { seed: 1, flipEvery: 2_000, dropEvery: 4_000 },
        backward: { seed: 2, flipEvery: 20_000, dropEvery: 40_000 },
      });
      const agent = await runAgent({
        stateDir: join(dir, 'state'),
        serialPath: deviceLine.a,
        hardware: LAB_HARDWARE,
        serialNumber: 'SN-SERIAL',
        trustRoot: writeRoot(lab, dir),
      });
      const uri = parseAgentUri(`serial://${laptopLine.b}?pace=off`);
      if (!uri.ok) throw new Error(uri.error.message);
      const client = await connectAgent(uri.value, { fingerprint: null, timeoutMs: 10_000 });
      try {
        expect(client.hello.identity.serialNumber).toBe('SN-SERIAL');
        await client.upload(release!.file, {
          sha256: release!.sha256,
          length: release!.content.length,
          chunkBytes: 32 * 1024,
        });
        const installed = await client.install(release!.path, release!.metadata);
        expect(installed.slot).toBe('a');
        expect(readFileSync(join(dir, 'state', 'blobs', release!.sha256)).equals(release!.content)).toBe(
          true,
        );
        expect(bridge.stats.forward.flips + bridge.stats.forward.drops).toBeGreaterThan(0);
        expect(bridge.stats.backward.flips + bridge.stats.backward.drops).toBeGreaterThan(0);
      } finally {
        client.close();
        await agent.close();
        bridge.close();
        deviceLine.close();
        laptopLine.close();
      }
    },
    60_000,
  );
});
