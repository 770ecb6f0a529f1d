import { describe, expect, it } from 'vitest';
import { hasCommand, requirePrerequisite } from '../../../support/prerequisites';
import { runDeckhandAsync } from '../../../support/run-deckhand';
import { sshdAvailable } from '../../../support/sshd';

const tools =
  sshdAvailable() && requirePrerequisite(hasCommand('scp'), 'scp', 'apt-get install openssh-client');

describe('deckhand bench ssh', () => {
  it.skipIf(!tools)(
    'uploads with the SSH adapter and with scp to the same sshd and prints the ratio',
    async () => {
      const run = await runDeckhandAsync(['bench', 'ssh', '--size', '4MiB', '--rounds', '1', '--json']);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        ok: boolean;
        bench: string;
        bytes: number;
        cipher: string;
        ours: { bytesPerSec: number; verifySeconds: number };
        baseline: { tool: string; bytesPerSec: number };
        ratio: number;
        endToEndRatio: number;
        goal: number;
      };
      expect(report).toMatchObject({ ok: true, bench: 'ssh', bytes: 4 * 1024 * 1024, goal: 0.9 });
      expect(report.baseline.tool).toBe('scp (OpenSSH)');
      expect(report.ratio).toBeGreaterThan(0);
      expect(report.endToEndRatio).toBeLessThanOrEqual(report.ratio);
    },
    120_000,
  );
});
