/**
 * `deckhand bench link [--size 1GiB] [--serial-size 1MiB] [--rounds 3] [--json]`: the device link's throughput
 * against the standard tools, in the same run.
 * - LAN: an upload over TLS 1.3 to an agent (its own process) on loopback through the real AgentClient
 *   path (begin, windowed data, end: the agent hashes and fsyncs before it answers), against a raw TCP
 *   copy of the same file on loopback (a socat receiver process writing the file, this process
 *   sending). Rounds alternate which goes first, each from a settled disk; ratio = ours ÷ raw, of
 *   the medians; goal ≥ 0.8.
 * - Serial: two socat pty pairs joined by a bridge pacing bytes at 115200 8N1 (11,520 B/s) with 2 ms
 *   turnaround; an upload over the agent's reliable link, against ZMODEM (lrzsz `sz`/`rz`) over the
 *   same bridge. Goodput is reported as a share of the line rate; ratio = ours ÷ lrzsz (goal ≥ 1.0).
 *   Then the same upload on a noisy line (one bit flipped every 50,000 bytes; goal ≥ 0.85 of line rate).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAgent } from '../../../agent/run-agent';
import { formatBytes } from '../../../core/bundle/human-format';
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import { DeckhandError } from '../../../core/result';
import { connectAgent } from '../../adapters/agent-client/agent-connection';
import { EXIT, printJson } from '../cli-io';
import { parseSize } from './import-bench';
import { parseCommandArgs, type CommandContext } from '../main';
import { bridgePaced, openPtyPair } from './paced-line';

/** The deckhand command, for starting the agent as its own process. */
const DECKHAND_BIN = fileURLToPath(new URL('../../../bin/deckhand.mjs', import.meta.url));

/** 115200 baud, 8N1: ten bits on the wire per byte. */
export const LINE_BYTES_PER_SEC = 115_200 / 10;
const TURNAROUND_MS = 2;
const NOISY_FLIP_EVERY = 50_000;
const GOALS = { lanRatio: 0.8, serialRatio: 1.0, noisyShare: 0.85 } as const;

/** One timed transfer. */
export interface Transfer {
  readonly bytes: number;
  readonly seconds: number;
  readonly bytesPerSec: number;
}

/** The LAN comparison. */
export interface LanResult {
  readonly ours: Transfer & { readonly transport: string };
  readonly baseline: Transfer & { readonly tool: string };
  readonly ratio: number;
  readonly goal: number;
  /** Every round's seconds; the figures above are their medians. */
  readonly rounds: { readonly oursSeconds: readonly number[]; readonly rawSeconds: readonly number[] };
}

/** The serial comparisons. */
export interface SerialResult {
  readonly lineBytesPerSec: number;
  readonly turnaroundMs: number;
  readonly ours: Transfer & { readonly shareOfLine: number };
  readonly baseline: (Transfer & { readonly tool: string; readonly shareOfLine: number }) | null;
  readonly ratio: number | null;
  readonly goal: number;
  readonly noisy: Transfer & {
    readonly flipEvery: number;
    readonly flips: number;
    readonly shareOfLine: number;
    readonly goal: number;
  };
}

/** Options of the benchmark. */
export interface LinkBenchOptions {
  readonly size: number;
  readonly serialSize: number;
  /** LAN rounds (default 3); each side's median counts. */
  readonly rounds?: number;
  readonly lan?: boolean;
  readonly serial?: boolean;
  readonly log?: (line: string) => void;
}

/** Everything measured. */
export interface LinkBenchResult {
  readonly lan: LanResult | null;
  readonly serial: SerialResult | null;
  readonly skipped: readonly string[];
}

/** Runs the benchmark. */
export async function benchLink(options: LinkBenchOptions): Promise<LinkBenchResult> {
  const log = options.log ?? (() => undefined);
  const skipped: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'deckhand-bench-link-'));
  try {
    if (!hasCommand('socat'))
      throw new DeckhandError('not_found', 'The link benchmark needs socat (apt-get install socat).');
    const lan =
      options.lan === false
        ? null
        : await benchLan(join(work, 'lan'), options.size, options.rounds ?? 3, log);
    let serial: SerialResult | null = null;
    if (options.serial !== false) {
      const lrzsz = hasCommand('sz') && hasCommand('rz');
      if (!lrzsz) {
        skipped.push('lrzsz: sz/rz are not installed (apt-get install lrzsz); no ZMODEM comparison');
        log('Note: lrzsz is not installed (apt-get install lrzsz); skipping the ZMODEM comparison.');
      }
      serial = await benchSerial(join(work, 'serial'), options.serialSize, lrzsz, log);
    }
    return { lan, serial, skipped };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function benchLan(
  dir: string,
  size: number,
  rounds: number,
  log: (line: string) => void,
): Promise<LanResult> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'target.img');
  log(`Writing a ${formatBytes(size)} test file…`);
  const sha256 = await writeRandomFile(file, size);

  // Rounds alternate which side goes first, and each transfer starts from a settled disk (what the
  // previous one wrote is deleted and synced), so neither side pays for the other's writeback.
  const oursSec: number[] = [];
  const rawSec: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const sides = [
      async () => {
        log(`Round ${round + 1}/${rounds}: raw TCP copy over loopback (socat receiver)…`);
        const out = join(dir, 'raw-copy.img');
        rawSec.push(await rawTcpCopy(file, out));
        settle(out);
      },
      async () => {
        log(`Round ${round + 1}/${rounds}: upload over TLS to an agent process on loopback…`);
        const state = join(dir, `agent-${round}`);
        oursSec.push(await agentUpload(file, sha256, size, state));
        settle(state);
      },
    ];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
  }
  const ours = transfer(size, median(oursSec));
  const baseline = transfer(size, median(rawSec));
  return {
    ours: { ...ours, transport: 'TLS 1.3, AgentClient.upload (window 8 × 256 KiB, agent hashes + fsyncs)' },
    baseline: { ...baseline, tool: 'raw TCP (node socket → socat → file)' },
    ratio: ours.bytesPerSec / baseline.bytesPerSec,
    goal: GOALS.lanRatio,
    rounds: { oursSeconds: oursSec, rawSeconds: rawSec },
  };
}

/** Starts an agent process with its own state folder and times one upload of `file` to it. */
async function agentUpload(file: string, sha256: string, size: number, state: string): Promise<number> {
  const agent = spawn(
    process.execPath,
    [DECKHAND_BIN, 'agent', '--state', state, '--listen', '127.0.0.1:0', '--json'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  try {
    const [line] = (await once(agent.stdout!, 'data')) as [Buffer];
    const started = JSON.parse(line.toString()) as { uri: string; fingerprint: string };
    const uri = parseAgentUri(started.uri);
    if (!uri.ok) throw new DeckhandError('internal', uri.error.message);
    const client = await connectAgent(uri.value, { fingerprint: started.fingerprint });
    try {
      const t0 = performance.now();
      await client.upload(file, { sha256, length: size });
      return (performance.now() - t0) / 1000;
    } finally {
      client.close();
    }
  } finally {
    agent.kill('SIGTERM');
    await once(agent, 'exit');
  }
}

/** Deletes what a transfer wrote and waits for the disk to settle. */
function settle(path: string): void {
  rmSync(path, { recursive: true, force: true });
  execFileSync('sync');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function benchSerial(
  dir: string,
  size: number,
  lrzsz: boolean,
  log: (line: string) => void,
): Promise<SerialResult> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'payload.bin');
  const sha256 = await writeRandomFile(file, size);
  const share = (t: Transfer): number => t.bytesPerSec / LINE_BYTES_PER_SEC;

  log(`Serial upload of ${formatBytes(size)} at 115200 8N1 (clean line)…`);
  const clean = await serialUpload(join(dir, 'clean'), file, sha256, size, 0);
  let baseline: SerialResult['baseline'] = null;
  if (lrzsz) {
    log(`ZMODEM (lrzsz sz → rz) of the same file over the same line…`);
    const seconds = await zmodemCopy(join(dir, 'zmodem'), file, size);
    const t = transfer(size, seconds);
    baseline = { ...t, tool: 'lrzsz ZMODEM (sz -b → rz -b)', shareOfLine: share(t) };
  }
  log(`Serial upload on a noisy line (one bit flipped every ${NOISY_FLIP_EVERY} bytes)…`);
  const noisy = await serialUpload(join(dir, 'noisy'), file, sha256, size, NOISY_FLIP_EVERY);
  return {
    lineBytesPerSec: LINE_BYTES_PER_SEC,
    turnaroundMs: TURNAROUND_MS,
    ours: { ...clean.transfer, shareOfLine: share(clean.transfer) },
    baseline,
    ratio: baseline ? clean.transfer.bytesPerSec / baseline.bytesPerSec : null,
    goal: GOALS.serialRatio,
    noisy: {
      ...noisy.transfer,
      flipEvery: NOISY_FLIP_EVERY,
      flips: noisy.flips,
      shareOfLine: share(noisy.transfer),
      goal: GOALS.noisyShare,
    },
  };
}

/** Agent pty ⇄ paced bridge ⇄ laptop pty; uploads `file` and times the upload (link already open). */
async function serialUpload(
  dir: string,
  file: string,
  sha256: string,
  size: number,
  flipEvery: number,
): Promise<{ transfer: Transfer; flips: number }> {
  const deviceLine = await openPtyPair();
  const laptopLine = await openPtyPair();
  const bridge = bridgePaced(deviceLine.b, laptopLine.a, {
    bytesPerSec: LINE_BYTES_PER_SEC,
    turnaroundMs: TURNAROUND_MS,
    flipEvery,
  });
  const agent = await runAgent({
    stateDir: join(dir, 'agent'),
    serialPath: deviceLine.a,
    hardware: 'bench',
    serialNumber: 'BENCH-SERIAL',
  });
  try {
    // An explicit baud: the link paces itself at the line rate (the URI's default), as on a real UART.
    const uri = parseAgentUri(`serial://${laptopLine.b}?baud=115200`);
    if (!uri.ok) throw new DeckhandError('internal', uri.error.message);
    const client = await connectAgent(uri.value, { fingerprint: null, timeoutMs: 30_000 });
    try {
      const t0 = performance.now();
      // The product's own plan for a 115200 line (uploadPlan): what a deploy over serial sends.
      await client.upload(file, { sha256, length: size });
      const seconds = (performance.now() - t0) / 1000;
      return {
        transfer: transfer(size, seconds),
        flips: bridge.stats.forward.flips + bridge.stats.backward.flips,
      };
    } finally {
      client.close();
    }
  } finally {
    await agent.close();
    bridge.close();
    deviceLine.close();
    laptopLine.close();
  }
}

/** `sz` on the laptop pty, `rz` on the device pty, through the same paced bridge. */
async function zmodemCopy(dir: string, file: string, size: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const deviceLine = await openPtyPair();
  const laptopLine = await openPtyPair();
  const bridge = bridgePaced(deviceLine.b, laptopLine.a, {
    bytesPerSec: LINE_BYTES_PER_SEC,
    turnaroundMs: TURNAROUND_MS,
  });
  const rzFd = openSync(deviceLine.a, 'r+');
  const szFd = openSync(laptopLine.b, 'r+');
  try {
    const t0 = performance.now();
    const rz = spawn('rz', ['-b', '-y', '-q'], { cwd: dir, stdio: [rzFd, rzFd, 'ignore'] });
    const sz = spawn('sz', ['-b', '-q', file], { stdio: [szFd, szFd, 'ignore'] });
    const timeout = setTimeout(
      () => {
        rz.kill('SIGTERM');
        sz.kill('SIGTERM');
      },
      Math.max(60_000, (size / LINE_BYTES_PER_SEC) * 4000),
    );
    // The transfer is done when the whole file has landed; rz sometimes then waits on the closing
    // ZFIN/"OO" exchange through the ptys, which is session teardown, not transfer time.
    const received = join(dir, 'payload.bin');
    let doneAt: number | null = null;
    const watch = setInterval(() => {
      if (doneAt === null && statSafe(received) === size) doneAt = performance.now();
    }, 20);
    const exited = once(rz, 'exit') as Promise<[number | null]>;
    while (doneAt === null && rz.exitCode === null && rz.signalCode === null)
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 50))]);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    clearInterval(watch);
    rz.kill('SIGTERM');
    sz.kill('SIGTERM');
    clearTimeout(timeout);
    const finishedAt = doneAt ?? performance.now();
    const got = statSafe(received);
    if (got !== size || (await sha256File(received)) !== (await sha256File(file)))
      throw new DeckhandError('internal', `rz failed (${got} of ${size} bytes received intact).`);
    return (finishedAt - t0) / 1000;
  } finally {
    closeSync(rzFd);
    closeSync(szFd);
    bridge.close();
    deviceLine.close();
    laptopLine.close();
  }
}

/** Copies `file` over loopback: a socat process receives into `out`; this process sends. */
async function rawTcpCopy(file: string, out: string): Promise<number> {
  const port = await freePort();
  const receiver = spawn(
    'socat',
    ['-d', '-d', '-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `CREATE:${out}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new DeckhandError('timeout', 'socat did not listen.')), 5000);
    receiver.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const t0 = performance.now();
  const exited = once(receiver, 'exit');
  const socket = netConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  createReadStream(file, { highWaterMark: 1024 * 1024 }).pipe(socket);
  await exited;
  return (performance.now() - t0) / 1000;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function statSafe(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function transfer(bytes: number, seconds: number): Transfer {
  return { bytes, seconds, bytesPerSec: bytes / seconds };
}

/** Writes `size` random bytes (4 MiB blocks, each distinct) and returns their SHA-256. */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  const block = randomBytes(Math.min(size, 4 * 1024 * 1024));
  for (let written = 0, n = 0; written < size; n += 1) {
    const length = Math.min(block.length, size - written);
    block.writeUInt32LE(n, 0);
    const piece = Buffer.from(block.subarray(0, length));
    hash.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
    written += length;
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** `deckhand bench link`. */
export async function runLinkBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      size: { type: 'string', default: '1GiB' },
      'serial-size': { type: 'string', default: '1MiB' },
      rounds: { type: 'string', default: '3' },
      'lan-only': { type: 'boolean', default: false },
      'serial-only': { type: 'boolean', default: false },
    },
    false,
  );
  const log = (line: string): void => {
    if (!context.json) context.io.stderr.write(`${line}\n`);
  };
  const result = await benchLink({
    size: parseSize(values.size),
    serialSize: parseSize(values['serial-size']),
    rounds: parseRounds(values.rounds),
    lan: !values['serial-only'],
    serial: !values['lan-only'],
    log,
  });
  if (context.json) {
    printJson(context.io, { ok: true, bench: 'link', ...result });
    return EXIT.ok;
  }
  const lines: string[] = [];
  const rate = (bps: number): string => `${formatBytes(bps)}/s`;
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  if (result.lan) {
    const { ours, baseline, ratio, rounds } = result.lan;
    lines.push(
      `LAN (${formatBytes(ours.bytes)} on loopback, median of ${rounds.oursSeconds.length} rounds)`,
      `  deckhand upload  ${rate(ours.bytesPerSec)} (${ours.seconds.toFixed(2)} s: TLS 1.3, agent hashes and fsyncs)`,
      `  raw TCP copy     ${rate(baseline.bytesPerSec)} (${baseline.seconds.toFixed(2)} s)`,
      `  ratio            ${ratio.toFixed(2)}× (goal ≥ ${GOALS.lanRatio})`,
    );
  }
  if (result.serial) {
    const s = result.serial;
    lines.push(
      `Serial (${formatBytes(s.ours.bytes)} at 115200 8N1 = ${s.lineBytesPerSec} B/s, ${s.turnaroundMs} ms turnaround)`,
      `  deckhand link    ${s.ours.bytesPerSec.toFixed(0)} B/s = ${pct(s.ours.shareOfLine)} of line rate (${s.ours.seconds.toFixed(1)} s)`,
      s.baseline
        ? `  lrzsz ZMODEM     ${s.baseline.bytesPerSec.toFixed(0)} B/s = ${pct(s.baseline.shareOfLine)} of line rate (${s.baseline.seconds.toFixed(1)} s)`
        : '  lrzsz ZMODEM     skipped (apt-get install lrzsz)',
      `  ratio            ${s.ratio === null ? 'n/a' : `${s.ratio.toFixed(2)}×`} (goal ≥ ${GOALS.serialRatio})`,
      `  noisy line       ${s.noisy.bytesPerSec.toFixed(0)} B/s = ${pct(s.noisy.shareOfLine)} of line rate, ${s.noisy.flips} bit flips (goal ≥ ${pct(GOALS.noisyShare)})`,
    );
  }
  for (const note of result.skipped) lines.push(`skipped: ${note}`);
  context.io.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

function parseRounds(text: string): number {
  const rounds = Number(text);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new DeckhandError('usage', '--rounds takes a whole number from 1 to 20.');
  return rounds;
}

/** SHA-256 of a file, streamed. */
async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
