/**
 * `deckhand demo [--devices N] [--port P]`: Deckhand without hardware. Creates a temporary demo
 * workspace — demo HQ keys, a signed demo bundle (demo-fleet.ts: releases, one that fails its health
 * check, and a model, for the demo hardware profiles), N simulated device agents on 127.0.0.1 (different hardware and serial numbers), plus
 * one agent behind a socat pty pair when socat is installed — and a demo data folder in which the
 * demo root is pinned, the bundle imported and the demo devices added and pinned (the demo made
 * their keys, so it knows their fingerprints). Then it serves the UI like `deckhand host` and prints
 * the link and each device's URI. Ctrl+C stops everything and deletes the workspace.
 *
 * The demo root is trusted only in the demo data folder, never in the technician's real one, unless
 * `--data-dir` is given explicitly (then that folder is used and kept).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAgent, type RunningAgent } from '../../../agent/run-agent';
import { DeckhandError } from '../../../core/result';
import { startBrowserHost, type BrowserHost } from '../../host/browser-host';
import { openBackend, type Backend } from '../../services/backend';
import { createDemoBundle, DEMO_HARDWARE, startDemoAgents, type DemoDevice } from '../demo/demo-fleet';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

const RENDERER_DIR = fileURLToPath(new URL('../../../out/renderer/', import.meta.url));

/** Runs the demo until SIGINT/SIGTERM. */
export async function runDemoCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    { devices: { type: 'string', default: '3' }, port: { type: 'string', default: '0' } },
    false,
  );
  const count = Number(values.devices);
  if (!Number.isInteger(count) || count < 1 || count > 16)
    throw new DeckhandError('usage', '--devices must be a whole number from 1 to 16.');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new DeckhandError('usage', '--port must be 0–65535.');
  // Tests point DECKHAND_RENDERER_DIR at a stand-in UI so the demo runs before the renderer is built.
  const rendererDir = context.io.env['DECKHAND_RENDERER_DIR'] || RENDERER_DIR;
  if (!existsSync(join(rendererDir, 'index.html')))
    throw new DeckhandError(
      'not_found',
      'The Deckhand UI is not built yet. Run "npm run demo" (it builds first).',
    );

  const workspace = mkdtempSync(join(tmpdir(), 'deckhand-demo-'));
  const dataDir = context.dataDirExplicit ? context.dataDir : join(workspace, 'data');
  const say = (line: string): void => void context.io.stderr.write(`${line}\n`);
  const agents: RunningAgent[] = [];
  let socat: ChildProcess | null = null;
  let backend: Backend | null = null;
  let host: BrowserHost | null = null;
  const cleanup = async (): Promise<void> => {
    await host?.close().catch(() => undefined);
    backend?.close();
    for (const agent of agents) await agent.close().catch(() => undefined);
    socat?.kill('SIGTERM');
    rmSync(workspace, { recursive: true, force: true });
  };

  try {
    // HQ side: demo keys and a signed bundle; devices: agents on loopback with the demo root.
    const { bundleFile, rootFile } = await createDemoBundle(workspace);
    const started = await startDemoAgents(workspace, rootFile, count);
    agents.push(...started.agents);
    const devices: DemoDevice[] = [...started.devices];
    const notes: string[] = [];
    const serial = await startSerialAgent(workspace, rootFile);
    if (serial.ok) {
      socat = serial.socat;
      agents.push(serial.agent);
      devices.push(serial.device);
    } else notes.push(serial.note);

    // Laptop side: the demo data folder trusts the demo root, holds the bundle and the devices.
    backend = openBackend({ dataDir, host: 'browser', version: context.version, watchDevices: true });
    backend.bundles.pin(rootFile);
    await backend.bundles.import({ path: bundleFile, jobId: randomUUID() });
    for (const device of devices) {
      await backend.devices.add(device.uri);
      if (device.fingerprint !== null)
        await backend.devices.confirmFingerprint(device.uri, device.fingerprint);
    }

    host = await startBrowserHost({
      handlers: backend.handlers,
      events: backend.events,
      rendererDir,
      port,
      logInternal: (verb, thrown) =>
        say(`deckhand demo: ${verb} failed: ${String((thrown as Error)?.stack ?? thrown)}`),
    });
    if (context.json)
      printJson(context.io, {
        ok: true,
        url: host.url,
        port: host.port,
        dataDir,
        workspace,
        devices,
        notes,
      });
    else {
      context.io.stdout.write(`Deckhand demo is running at:\n\n  ${host.url}\n\nDemo devices:\n`);
      for (const d of devices)
        context.io.stdout.write(`  ${d.uri}  ${d.serialNumber}  ${d.hardware}  (${d.link})\n`);
      for (const note of notes) say(`note: ${note}`);
      say(`Demo data folder: ${dataDir}\nThe link works once; press Ctrl+C to stop and delete the demo.`);
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return EXIT.ok;
  } finally {
    await cleanup();
  }
}

type SerialAgent =
  { ok: true; agent: RunningAgent; socat: ChildProcess; device: DemoDevice } | { ok: false; note: string };

/** One more agent on the device end of a socat pty pair; the laptop opens the other end. */
async function startSerialAgent(workspace: string, rootFile: string): Promise<SerialAgent> {
  if (spawnSync('socat', ['-V'], { stdio: 'ignore' }).status !== 0)
    return { ok: false, note: 'socat is not installed, so the demo has no serial device.' };
  const deviceEnd = join(workspace, 'tty-device');
  const laptopEnd = join(workspace, 'tty-laptop');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${deviceEnd}`, `pty,raw,echo=0,link=${laptopEnd}`], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50 && !(existsSync(deviceEnd) && existsSync(laptopEnd)); i += 1)
    await new Promise((resolve) => setTimeout(resolve, 50));
  if (!existsSync(deviceEnd) || !existsSync(laptopEnd)) {
    socat.kill('SIGTERM');
    return { ok: false, note: 'socat did not create the pty pair, so the demo has no serial device.' };
  }
  const serialNumber = 'DEMO-SERIAL';
  try {
    const agent = await runAgent({
      stateDir: join(workspace, 'agents', serialNumber),
      serialPath: deviceEnd,
      hardware: DEMO_HARDWARE[0],
      serialNumber,
      trustRoot: rootFile,
    });
    return {
      ok: true,
      agent,
      socat,
      device: {
        uri: `serial://${laptopEnd}?baud=115200`,
        hardware: DEMO_HARDWARE[0],
        serialNumber,
        link: 'serial',
        fingerprint: null,
      },
    };
  } catch (error) {
    socat.kill('SIGTERM');
    return { ok: false, note: `The serial demo device did not start (${(error as Error).message}).` };
  }
}
