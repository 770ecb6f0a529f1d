/**
 * Child process for the durability test: appends events as fast as it can and prints each seq on
 * stdout only after the append committed. The parent kills it with SIGKILL at random moments.
 */
import { openDatabase } from '../../main/db/database';
import { EventLogStore } from '../../main/db/event-log-store';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: append-worker DATA_DIR');
const store = new EventLogStore(openDatabase(dataDir));
process.stdout.write('ready\n');
for (let i = 0; ; i += 1) {
  const batch = i % 5 === 0 ? 3 : 1;
  const events = store.appendMany(
    Array.from({ length: batch }, (_, k) => ({
      kind: 'test.durability',
      device: `dev-${k}`,
      payload: { i, k, pad: 'x'.repeat(i % 300) },
    })),
  );
  // Linux pipes are written synchronously by Node, so the parent sees this only after the commit.
  process.stdout.write(`${events.map((e) => e.seq).join(' ')}\n`);
}
