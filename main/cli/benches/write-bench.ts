/**
 * `deckhand bench write [--size 512MiB] [--work DIR] [--rounds N] [--json]`: the image writer against
 * dd on the same file system in the same run. Write: Deckhand's writer (O_DIRECT, 4 MiB blocks,
 * fsync) to a file target vs `dd bs=4M oflag=direct conv=fsync`. Verification: Deckhand's O_DIRECT
 * read-back with SHA-256 vs `dd iflag=direct bs=4M | openssl dgst -sha256`. The source is read once
 * beforehand so both read it from the page cache. The work folder must be on a real disk
 * (O_DIRECT); the default is the system temp folder when it is one. With --rounds, each figure is
 * the best of N runs.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  constants,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../../core/bundle/human-format';
import { DeckhandError } from '../../../core/result';
import { readBackSha256, writeImage } from '../../adapters/image-writer/image-writer';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';
import { parseSize, writeTestFile } from './import-bench';

/** Runs the write benchmark. */
export async function runWriteBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      size: { type: 'string', default: '512MiB' },
      work: { type: 'string' },
      rounds: { type: 'string', default: '1' },
      keep: { type: 'boolean' },
    },
    false,
  );
  const size = parseSize(values.size);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10)
    throw new DeckhandError('usage', '--rounds must be 1 to 10.');
  const work = mkdtempSync(join(values.work ?? tmpdir(), 'deckhand-bench-write-'));
  const log = (line: string): void => {
    if (!context.json) context.io.stderr.write(`${line}\n`);
  };
  try {
    probeDirect(work);
    const source = join(work, 'source.img');
    log(`Preparing a ${formatBytes(size)} image in ${work}…`);
    await writeTestFile(source, size);
    // Read once so both sides read the source from the page cache.
    for await (const _chunk of createReadStream(source, { highWaterMark: 4 * 1024 * 1024 })) void _chunk;
    const ddTarget = join(work, 'dd-target.img');
    const ourTarget = join(work, 'deckhand-target.img');
    let ddWrite = Infinity;
    let ourWrite = Infinity;
    let ddVerify = Infinity;
    let ourVerify = Infinity;
    for (let round = 0; round < rounds; round += 1) {
      log(`Round ${round + 1}/${rounds}: dd write…`);
      ddWrite = Math.min(
        ddWrite,
        await timed(() =>
          shell(`dd if='${source}' of='${ddTarget}' bs=4M oflag=direct conv=fsync status=none`),
        ),
      );
      log('  deckhand write…');
      rmSync(ourTarget, { force: true });
      ourWrite = Math.min(
        ourWrite,
        await timed(async () => {
          const outcome = await writeImage({ source, targets: [ourTarget], verify: false });
          const result = outcome.results[0];
          if (!result?.ok)
            throw new DeckhandError(
              'internal',
              `The writer failed: ${result?.error?.message ?? 'no result'}`,
            );
          if (!result.direct)
            throw new DeckhandError('not_supported', `${work} refuses O_DIRECT; use --work on a real disk.`);
        }),
      );
      log('  dd iflag=direct | openssl dgst -sha256…');
      let ddSha = '';
      ddVerify = Math.min(
        ddVerify,
        await timed(async () => {
          ddSha =
            (
              await shell(`dd if='${ddTarget}' iflag=direct bs=4M status=none | openssl dgst -sha256 -r`)
            ).split(' ')[0] ?? '';
        }),
      );
      log('  deckhand read-back…');
      let ourSha = '';
      ourVerify = Math.min(
        ourVerify,
        await timed(async () => {
          ourSha = (await readBackSha256(ourTarget, size)).sha256;
        }),
      );
      if (ourSha !== ddSha)
        throw new DeckhandError(
          'hash_mismatch',
          'The written files do not read back as the source: the disk is faulty.',
        );
    }
    const rate = (seconds: number): number => size / seconds;
    const ratios = { write: rate(ourWrite) / rate(ddWrite), verify: rate(ourVerify) / rate(ddVerify) };
    const fsType = fileSystemOf(work);
    if (context.json) {
      printJson(context.io, {
        ok: true,
        bench: 'write',
        bytes: size,
        workDir: work,
        fileSystem: fsType,
        rounds,
        ours: {
          write: { seconds: ourWrite, bytesPerSec: rate(ourWrite), method: 'O_DIRECT 4 MiB blocks, fsync' },
          verify: { seconds: ourVerify, bytesPerSec: rate(ourVerify), method: 'O_DIRECT read-back, SHA-256' },
        },
        baseline: {
          write: { tool: 'dd bs=4M oflag=direct conv=fsync', seconds: ddWrite, bytesPerSec: rate(ddWrite) },
          verify: {
            tool: 'dd iflag=direct bs=4M | openssl dgst -sha256',
            seconds: ddVerify,
            bytesPerSec: rate(ddVerify),
          },
        },
        ratio: ratios,
      });
    } else {
      context.io.stdout.write(
        [
          `image            ${formatBytes(size)} in ${work} (${fsType})`,
          `deckhand write   ${formatBytes(rate(ourWrite))}/s (${ourWrite.toFixed(2)} s)`,
          `dd write         ${formatBytes(rate(ddWrite))}/s (${ddWrite.toFixed(2)} s: bs=4M oflag=direct conv=fsync)`,
          `ratio            ${ratios.write.toFixed(2)}× (goal ≥ 0.90)`,
          `deckhand verify  ${formatBytes(rate(ourVerify))}/s (${ourVerify.toFixed(2)} s)`,
          `dd | openssl     ${formatBytes(rate(ddVerify))}/s (${ddVerify.toFixed(2)} s: iflag=direct | dgst -sha256)`,
          `ratio            ${ratios.verify.toFixed(2)}× (goal ≥ 0.90)`,
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

function probeDirect(dir: string): void {
  const probe = join(dir, 'direct-probe');
  try {
    closeSync(openSync(probe, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT));
  } catch {
    throw new DeckhandError(
      'not_supported',
      `${dir} refuses O_DIRECT (a memory file system?). Pass --work with a folder on a real disk.`,
    );
  } finally {
    rmSync(probe, { force: true });
  }
}

function fileSystemOf(dir: string): string {
  const device = statSync(dir).dev;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
    const fields = line.split(' ');
    const [major, minor] = (fields[2] ?? '').split(':').map(Number);
    if (major === undefined || minor === undefined) continue;
    if (((major << 8) | (minor & 0xff) | ((minor & ~0xff) << 12)) !== device) continue;
    const dash = fields.indexOf('-');
    return `${fields[dash + 1] ?? '?'} on ${fields[dash + 2] ?? '?'}`;
  }
  return 'unknown file system';
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

function shell(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) =>
      reject(new DeckhandError('not_found', `Could not run the baseline (${error.message}).`)),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve(stdout.trim())
        : reject(
            new DeckhandError(
              'internal',
              `The baseline failed: ${command}: ${stderr.trim()} (needs dd and openssl)`,
            ),
          ),
    );
  });
}
