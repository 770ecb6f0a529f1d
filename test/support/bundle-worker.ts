/**
 * Child process for the crash-safety tests: imports bundles (mode `import`) or updates the trust
 * state (mode `trust`) in a loop, printing a line after each completed step. The parent kills it
 * with SIGKILL at random moments.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openBackend } from '../../main/services/backend';
import { TrustStore } from '../../main/services/bundles/trust-store';

const [mode, dataDir, ...bundles] = process.argv.slice(2);
if (!mode || !dataDir) throw new Error('usage: bundle-worker import|trust DATA_DIR [BUNDLE...]');

if (mode === 'trust') {
  const trust = new TrustStore(join(dataDir, 'trust'));
  process.stdout.write('ready\n');
  const base = Date.now();
  for (let i = 1; ; i += 1) {
    trust.noteTime(new Date(base + i * 1000));
    process.stdout.write(`${base + i * 1000}\n`);
  }
} else {
  const backend = openBackend({ dataDir, host: 'cli', version: 'test' });
  process.stdout.write('ready\n');
  for (const path of bundles) {
    const outcome = await backend.bundles.import({ path, jobId: randomUUID() });
    process.stdout.write(`imported ${outcome.import.timestampVersion}\n`);
  }
  process.stdout.write('finished\n');
  // Stay alive until killed, like an app left open.
  setInterval(() => {}, 1000);
}
