// The tune progress lines without a TTY (logs, CI): one when a workload
// starts and one when its candidates are all measured, never the same twice.

import { jest } from '@jest/globals';
import { tuneProgressReporter } from '../../src/cli/progress.js';
import type { TuneProgress } from '../../src/pipeline/tune.js';

const event = (index: number, done: number, total: number, bestMs?: number): TuneProgress => ({
  workload: `w${index}`,
  task: 'conv2d_NCHWc.x86',
  index,
  workloads: 2,
  done,
  total,
  flop: 2e9,
  untunedMs: 2,
  ...(bestMs !== undefined ? { bestMs } : {}),
});

test('without a TTY: a line per workload start and end; the verdict after the last candidate repeats nothing', () => {
  const tty = process.stderr.isTTY;
  Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
  const lines: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const report = tuneProgressReporter(false);
    for (const e of [
      event(0, 0, 3),
      event(0, 1, 3, 1.5),
      event(0, 2, 3, 1.2),
      event(0, 3, 3, 1.0),
      event(0, 3, 3, 1.0),
      event(1, 1, 1, 0.5),
      event(1, 1, 1, 0.5),
    ]) {
      report(e);
    }
  } finally {
    spy.mockRestore();
    Object.defineProperty(process.stderr, 'isTTY', { value: tty, configurable: true });
  }
  expect(lines).toEqual([
    'tune [1/2] conv2d_NCHWc.x86: 0/3 candidates, untuned 2.000 ms, best - ms\n',
    'tune [1/2] conv2d_NCHWc.x86: 3/3 candidates, untuned 2.000 ms, best 1.000 ms (2000.0 GFLOP/s)\n',
    'tune [2/2] conv2d_NCHWc.x86: 1/1 candidates, untuned 2.000 ms, best 0.5000 ms (4000.0 GFLOP/s)\n',
  ]);
});

test('--json: no progress lines at all', () => {
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    tuneProgressReporter(true)(event(0, 1, 1, 1));
    expect(spy).not.toHaveBeenCalled();
  } finally {
    spy.mockRestore();
  }
});
