// Build progress on stderr: a one-line bar redrawn in place on a TTY, one line
// per finished build otherwise (logs stay readable in CI).

import type { ProgressEvent } from '../pipeline/build.js';

export function progressReporter(quiet: boolean): (e: ProgressEvent) => void {
  const tty = process.stderr.isTTY === true;
  let running = 0;
  let total = 0;
  return (e) => {
    if (quiet) return;
    if (e.kind === 'start') {
      total = e.total;
      running = Math.min(total, 1);
      if (e.cached) process.stderr.write(`${e.cached} artifact${e.cached === 1 ? '' : 's'} from the cache\n`);
      return;
    }
    const line = `${e.ok ? 'built' : 'FAILED'} ${e.id}${e.seconds !== undefined ? ` in ${e.seconds.toFixed(1)} s` : ''}`;
    if (!tty) {
      process.stderr.write(`[${e.done}/${e.total}] ${line}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round((width * e.done) / Math.max(1, total));
    const left = total - e.done;
    running = Math.min(running, left);
    process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${e.done} done, ${left} left  ${line}`);
    if (e.done === total) process.stderr.write('\n');
  };
}
