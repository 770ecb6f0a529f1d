/**
 * `deckhand bench ssh [--size 1GiB] [--rounds 3] [--json]`: the SSH adapter's SFTP upload against
 * OpenSSH's scp, same file, same throwaway sshd on loopback (main/adapters/ssh/dev-sshd.ts), same
 * cipher (aes128-gcm), in the same run. Rounds alternate the two tools and the median of each is
 * compared; ratio = ours ÷ scp in bytes per second (goal ≥ 0.9). "Ours" is the transfer through
 * SshSession.upload; the device-side sha256sum that follows it (which scp does not do) is timed and
 * reported apart, with the end-to-end ratio.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatBytes } from '../../../core/bundle/human-format';
import { parseDeviceUri } from '../../../core/device-uri/device-uri';
import type { MetadataSet } from '../../../core/protocol/messages';
import { ProgressMeter } from '../../../core/progress/progress-meter';
import { DeckhandError } from '../../../core/result';
import { startDevSshd } from '../../adapters/ssh/dev-sshd';
import { SshConnector } from '../../adapters/ssh/ssh-connector';
import { remotePathFor } from '../../adapters/ssh/ssh-session';
import type { DeployTarget } from '../../services/deploy/device-session';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';
import { parseSize } from './import-bench';

const run = promisify(execFile);
const GOAL = 0.9;
/** Both sides use the same cipher, so the comparison is of the transfer, not of the crypto. */
const CIPHER = 'aes128-gcm@openssh.com';

/** The medians measured. */
export interface SshBenchResult {
  readonly bytes: number;
  readonly rounds: number;
  readonly cipher: string;
  readonly ours: {
    readonly transport: string;
    readonly bytesPerSec: number;
    readonly seconds: number;
    /** Device-side sha256sum after the transfer. */
    readonly verifySeconds: number;
    readonly endToEndBytesPerSec: number;
  };
  readonly baseline: { readonly tool: string; readonly bytesPerSec: number; readonly seconds: number };
  /** ours ÷ scp, transfer against transfer. */
  readonly ratio: number;
  /** ours including the device's sha256sum ÷ scp. */
  readonly endToEndRatio: number;
  readonly goal: number;
}

/** Options of the benchmark. */
export interface SshBenchOptions {
  readonly size: number;
  readonly rounds: number;
  readonly log?: (line: string) => void;
}

/** A meter that notes when the last byte was acknowledged. */
class TimedMeter extends ProgressMeter {
  doneAt = 0;
  readonly #total: number;
  constructor(total: number) {
    super({ jobId: 'bench', totalBytes: total, emit: () => undefined });
    this.#total = total;
  }
  override advance(bytes: number): void {
    super.advance(bytes);
    if (this.bytes >= this.#total && this.doneAt === 0) this.doneAt = performance.now();
  }
}

/** Runs the benchmark. */
export async function benchSsh(options: SshBenchOptions): Promise<SshBenchResult> {
  const log = options.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'deckhand-bench-ssh-'));
  const sshd = await startDevSshd({ dir: join(work, 'sshd') });
  try {
    const file = join(work, 'target.img');
    log(`Writing a ${formatBytes(options.size)} test file…`);
    const sha256 = await writeRandomFile(file, options.size);
    const staging = join(work, 'staging');
    const scpDir = join(work, 'scp');
    mkdirSync(scpDir, { recursive: true });
    const target: DeployTarget = {
      path: 'releases/bench/1.0.0/target.img',
      kind: 'release',
      name: 'bench',
      version: '1.0.0',
      sha256,
      length: options.size,
      filePath: file,
      releaseCounter: 0,
      hardware: [],
      install: { method: 'copy', params: {} },
      custom: {},
      metadata: {} as MetadataSet,
    };
    const connector = new SshConnector({
      privateKeyPath: sshd.clientKeyPath,
      session: { stagingDir: staging },
    });
    const uri = parseDeviceUri(sshd.uri('copy'));
    if (!uri.ok) throw new DeckhandError('internal', uri.error.message);
    const ours: { transfer: number; verify: number }[] = [];
    const scp: number[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      // Alternate which tool goes first, so neither always gets the warmer cache.
      const order = round % 2 === 1 ? ['ours', 'scp'] : ['scp', 'ours'];
      for (const tool of order) {
        if (tool === 'ours') {
          rmSync(staging, { recursive: true, force: true });
          const session = await connector.connect(uri.value, { pinnedFingerprint: sshd.hostFingerprint() });
          try {
            const meter = new TimedMeter(options.size);
            const t0 = performance.now();
            await session.upload(target, meter, new AbortController().signal);
            const end = performance.now();
            ours.push({ transfer: (meter.doneAt - t0) / 1000, verify: (end - meter.doneAt) / 1000 });
          } finally {
            await session.close();
          }
          log(
            `  round ${round}: deckhand ${rate(options.size / ours.at(-1)!.transfer)} (+${ours.at(-1)!.verify.toFixed(2)} s sha256sum)`,
          );
        } else {
          rmSync(join(scpDir, 'target.img'), { force: true });
          const t0 = performance.now();
          await run('scp', [
            '-q',
            '-c',
            CIPHER,
            '-i',
            sshd.clientKeyPath,
            '-P',
            String(sshd.port),
            '-o',
            'StrictHostKeyChecking=no',
            '-o',
            'UserKnownHostsFile=/dev/null',
            '-o',
            'LogLevel=ERROR',
            '-o',
            'BatchMode=yes',
            file,
            `${sshd.user}@${sshd.host}:${join(scpDir, 'target.img')}`,
          ]);
          scp.push((performance.now() - t0) / 1000);
          log(`  round ${round}: scp      ${rate(options.size / scp.at(-1)!)}`);
        }
      }
    }
    // The staged copy must be the file: a fast upload of the wrong bytes proves nothing.
    const staged = remotePathFor(staging, target);
    const check = await run('sha256sum', [staged]);
    if (!check.stdout.startsWith(sha256))
      throw new DeckhandError('hash_mismatch', 'The uploaded copy differs from the file.');
    const transfer = median(ours.map((o) => o.transfer));
    const verify = median(ours.map((o) => o.verify));
    const scpSeconds = median(scp);
    return {
      bytes: options.size,
      rounds: options.rounds,
      cipher: CIPHER,
      ours: {
        transport: 'SFTP (ssh2), windowed writes',
        bytesPerSec: options.size / transfer,
        seconds: transfer,
        verifySeconds: verify,
        endToEndBytesPerSec: options.size / (transfer + verify),
      },
      baseline: { tool: 'scp (OpenSSH)', bytesPerSec: options.size / scpSeconds, seconds: scpSeconds },
      ratio: scpSeconds / transfer,
      endToEndRatio: scpSeconds / (transfer + verify),
      goal: GOAL,
    };
  } finally {
    await sshd.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** `deckhand bench ssh`. */
export async function runSshBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { size: { type: 'string', default: '1GiB' }, rounds: { type: 'string', default: '3' } },
    false,
  );
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new DeckhandError('usage', '--rounds must be a whole number from 1 to 20.');
  const log = (line: string): void => {
    if (!context.json) context.io.stderr.write(`${line}\n`);
  };
  const result = await benchSsh({ size: parseSize(values.size), rounds, log });
  if (context.json) {
    printJson(context.io, { ok: true, bench: 'ssh', ...result });
    return EXIT.ok;
  }
  context.io.stdout.write(
    [
      `SSH upload (${formatBytes(result.bytes)} to OpenSSH sshd on loopback, ${result.cipher}, median of ${result.rounds})`,
      `  deckhand SFTP    ${rate(result.ours.bytesPerSec)} (${result.ours.seconds.toFixed(2)} s)`,
      `  scp              ${rate(result.baseline.bytesPerSec)} (${result.baseline.seconds.toFixed(2)} s)`,
      `  ratio            ${result.ratio.toFixed(2)}× (goal ≥ ${GOAL})`,
      `  with sha256sum   ${rate(result.ours.endToEndBytesPerSec)} (+${result.ours.verifySeconds.toFixed(2)} s on the device): ${result.endToEndRatio.toFixed(2)}× scp`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

function rate(bytesPerSec: number): string {
  return `${(bytesPerSec / 1024 ** 2).toFixed(1)} MiB/s`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function writeRandomFile(file: string, size: number): Promise<string> {
  const out = createWriteStream(file);
  const hash = createHash('sha256');
  const block = randomBytes(Math.min(size, 4 * 1024 * 1024));
  for (let written = 0, n = 0; written < size; n += 1) {
    const length = Math.min(block.length, size - written);
    if (block.length >= 4) block.writeUInt32LE(n, 0);
    const piece = Buffer.from(block.subarray(0, length));
    hash.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
    written += length;
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}
