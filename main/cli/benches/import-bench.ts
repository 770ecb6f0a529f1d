/**
 * `deckhand bench import [--size 1GiB]`: builds a bundle with one target of that size, then times
 * `openssl dgst -sha256` over the bundle file and Deckhand's verified import of it (hash while
 * copying, fsync, rename, database record) in the same run. Both read a warm page cache, so the
 * ratio compares the work, not the reading. Ours also writes and fsyncs every byte, so on a slow
 * disk the durable write bounds it; `--work /dev/shm` shows the figure without the disk. Also reports
 * the process's peak resident memory.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { formatBytes } from '../../../core/bundle/human-format';
import { DeckhandError } from '../../../core/result';
import { openBackend } from '../../services/backend';
import { createBundle } from '../../services/bundles/bundle-writer';
import { initKeyRing } from '../../services/bundles/key-ring';
import { EXIT, printJson } from '../cli-io';
import { parseCommandArgs, type CommandContext } from '../main';

/** Runs the import benchmark. */
export async function runImportBench(context: CommandContext, args: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { size: { type: 'string', default: '1GiB' }, keep: { type: 'boolean' }, work: { type: 'string' } },
    false,
  );
  const size = parseSize(values.size);
  // --work puts the bundle and the data folder elsewhere (e.g. /dev/shm to take the disk out of the figure).
  const work = mkdtempSync(join(values.work ?? tmpdir(), 'deckhand-bench-import-'));
  const log = (line: string): void => {
    if (!context.json) context.io.stderr.write(`${line}\n`);
  };
  try {
    log(`Preparing a ${formatBytes(size)} target in ${work}…`);
    const target = join(work, 'release.img');
    await writeTestFile(target, size);
    const ring = initKeyRing(join(work, 'keys'), { rootExpires: new Date(Date.now() + 86_400_000) });
    const bundle = join(work, 'bench.dhb');
    await createBundle({
      ring,
      out: bundle,
      expires: new Date(Date.now() + 86_400_000),
      targets: [
        { file: target, custom: { kind: 'release', name: 'bench', version: '1.0.0', hardware: ['any'] } },
      ],
    });
    rmSync(target);
    const bundleBytes = statSync(bundle).size;

    // Warm the page cache once, then measure the baseline and ours back to back.
    await openssl(bundle);
    const baselineSec = await openssl(bundle);

    const dataDir = join(work, 'data');
    const backend = openBackend({ dataDir, host: 'cli', version: context.version });
    let oursSec: number;
    try {
      backend.bundles.pin(join(ring.dir, 'root.json'));
      const started = performance.now();
      await backend.bundles.import({ path: bundle, jobId: randomUUID() });
      oursSec = (performance.now() - started) / 1000;
    } finally {
      backend.close();
    }
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    const ours = bundleBytes / oursSec;
    const baseline = bundleBytes / baselineSec;
    const ratio = ours / baseline;
    if (context.json) {
      printJson(context.io, {
        ok: true,
        bench: 'import',
        bytes: bundleBytes,
        workDir: work,
        ours: { seconds: oursSec, bytesPerSec: ours, readsPerByte: 1, maxRssMb },
        baseline: { tool: 'openssl dgst -sha256', seconds: baselineSec, bytesPerSec: baseline },
        ratio,
      });
    } else {
      context.io.stdout.write(
        [
          `bundle          ${formatBytes(bundleBytes)} in ${work}`,
          `deckhand import ${formatBytes(ours)}/s (${oursSec.toFixed(2)} s: verify, hash while copying, fsync, rename, record)`,
          `openssl dgst    ${formatBytes(baseline)}/s (${baselineSec.toFixed(2)} s: hash only)`,
          `ratio           ${ratio.toFixed(2)}× (goal ≥ 0.90)`,
          `peak RSS        ${maxRssMb.toFixed(0)} MB (goal < 200 MB)`,
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  } finally {
    if (!values.keep) rmSync(work, { recursive: true, force: true });
  }
}

/** Parses `1GiB`, `64MiB`, `500MB`, `4096` (bytes). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i.exec(text.trim());
  if (!match) throw new DeckhandError('usage', `"${text}" is not a size; use e.g. 1GiB or 64MiB.`);
  const units: Record<string, number> = {
    b: 1,
    kib: 1024,
    mib: 1024 ** 2,
    gib: 1024 ** 3,
    kb: 1e3,
    mb: 1e6,
    gb: 1e9,
  };
  const bytes = Math.round(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
  if (bytes < 1 || bytes > 64 * 1024 ** 3)
    throw new DeckhandError('usage', '--size must be between 1 byte and 64 GiB.');
  return bytes;
}

/** Writes `size` bytes of incompressible test data whose 4 MiB blocks all differ. */
export async function writeTestFile(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  const block = randomBytes(4 * 1024 * 1024);
  for (let written = 0; written < size;) {
    const length = Math.min(block.length, size - written);
    // A different first word per block, so no two blocks are equal.
    block.writeUInt32LE(written / block.length, 0);
    if (!out.write(Buffer.from(block.subarray(0, length)))) await once(out, 'drain');
    written += length;
  }
  out.end();
  await once(out, 'finish');
}

function openssl(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('openssl', ['dgst', '-sha256', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', () =>
      reject(
        new DeckhandError('not_found', 'The benchmark needs openssl on PATH (Debian: apt install openssl).'),
      ),
    );
    child.on('exit', (code) =>
      code === 0
        ? resolve((performance.now() - started) / 1000)
        : reject(new DeckhandError('internal', `openssl failed: ${stderr}`)),
    );
  });
}
