// Build and tuning progress on stderr: a one-line bar redrawn in place on a TTY, one line
// per finished build otherwise (logs stay readable in CI).

import type { ProgressEvent } from '../pipeline/build.js';
import type { TuneProgress } from '../pipeline/tune.js';

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

/** Milliseconds as the tuning reports print them. */
export const formatMs = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x < 1 ? x.toFixed(4) : x.toFixed(3));

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** One line per workload as it goes, redrawn in place on a TTY. */
export function tuneProgressReporter(quiet: boolean): (e: TuneProgress) => void {
  const tty = process.stderr.isTTY === true;
  let last = -1;
  // Without a TTY: a line when a workload starts and one when its candidates are all in
  // (its verdict, measured after, reports done === total again: not repeated).
  const finished = new Set<number>();
  return (e) => {
    if (quiet) return;
    const gflops = e.bestMs ? ` (${(e.flop / (e.bestMs * 1e6)).toFixed(1)} GFLOP/s)` : '';
    const line =
      `tune [${e.index + 1}/${e.workloads}] ${e.task}: ${e.done}/${e.total} candidates, ` +
      `untuned ${formatMs(e.untunedMs)} ms, best ${formatMs(e.bestMs)} ms${gflops}` +
      (e.etaSeconds !== undefined ? `, ETA ${duration(e.etaSeconds)}` : '');
    if (tty) {
      if (last !== -1 && last !== e.index) process.stderr.write('\n');
      process.stderr.write(`\r\x1b[K${line}`);
    } else if (last !== e.index || (e.done === e.total && !finished.has(e.index))) {
      process.stderr.write(`${line}\n`);
      if (e.done === e.total) finished.add(e.index);
    }
    last = e.index;
  };
}
