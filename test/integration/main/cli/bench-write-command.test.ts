import { describe, expect, it } from 'vitest';
import { hasCommand, requirePrerequisite } from '../../../support/prerequisites';
import { runDeckhand } from '../../../support/run-deckhand';
import { useTempDirs } from '../../../support/temp-dir';

const tempDir = useTempDirs('deckhand-bench-write-test-');
const tools = requirePrerequisite(
  hasCommand('dd') && hasCommand('openssl'),
  'dd and openssl',
  'apt-get install coreutils openssl',
);

describe('deckhand bench write', () => {
  it.skipIf(!tools)(
    'measures the writer and its verification against dd in one run and prints both ratios',
    () => {
      const run = runDeckhand(['bench', 'write', '--size', '8MiB', '--work', tempDir(), '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        bytes: number;
        baseline: { write: { tool: string }; verify: { tool: string } };
        ratio: { write: number; verify: number };
      };
      expect(report.ok).toBe(true);
      expect(report.bytes).toBe(8 * 1024 * 1024);
      expect(report.baseline.write.tool).toBe('dd bs=4M oflag=direct conv=fsync');
      expect(report.baseline.verify.tool).toBe('dd iflag=direct bs=4M | openssl dgst -sha256');
      expect(report.ratio.write).toBeGreaterThan(0);
      expect(report.ratio.verify).toBeGreaterThan(0);
    },
  );
});
