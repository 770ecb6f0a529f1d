/** Writes progress records to stderr: a redrawn bar on a TTY, a line per step otherwise. */
import type { ProgressRecord } from '../../core/progress/progress-meter';
import type { CliIo } from './cli-io';

/** Returns a listener for 'progress' records and a function that ends the bar's line. */
export function progressPrinter(
  io: CliIo,
  unit: (record: ProgressRecord) => string,
): {
  readonly onProgress: (record: ProgressRecord) => void;
  readonly done: () => void;
} {
  const tty = io.stderr.isTTY === true;
  let lastStep = '';
  let drawn = false;
  return {
    onProgress: (record) => {
      const percent = record.percent === null ? '' : `${record.percent.toFixed(0).padStart(3)}% `;
      if (tty) {
        const width = 30;
        const filled = record.percent === null ? 0 : Math.round((record.percent / 100) * width);
        const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
        const eta = record.etaSec === null ? '' : ` ETA ${Math.ceil(record.etaSec)} s`;
        io.stderr.write(`\r${bar} ${percent}${record.step} ${unit(record)}${eta}\x1b[K`);
        drawn = true;
      } else if (record.step !== lastStep) {
        io.stderr.write(`${record.step} ${percent}${unit(record)}\n`);
      }
      lastStep = record.step;
    },
    done: () => {
      if (drawn) io.stderr.write('\n');
      drawn = false;
    },
  };
}
