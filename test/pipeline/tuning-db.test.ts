// The tuning database as the driver reads it, and how tune spends its budget:
// records applied only where they beat the untuned schedule and only on the
// ISA they were tuned for, a torn last line skipped, a foreign file refused,
// candidates spread by each workload's share of the work.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Tf2tvmError } from '../../ir/support/diagnostics.js';
import { artifactVerdicts, gains, judged, readTuningDb, recordsFor, targetIsa, workloadStates, type DbEntry } from '../../backends/tvm/tuning-db.js';
import { allot, machineBusy, mergeWorkloads, nominalPeakGflops, peakGflops } from '../../src/pipeline/tune.js';
import type { Draft } from '../../src/pipeline/emit.js';
import { tempDir } from '../helpers.js';

const verdict = (workload: string, config: number, untunedMs: number, bestMs: number, isa = 'cascadelake'): DbEntry => ({
  v: 1,
  tuner: 'autotvm',
  isa,
  workload,
  kind: 'verdict',
  config,
  costs: [bestMs / 1e3, bestMs / 1e3, bestMs / 1e3],
  untuned_costs: [untunedMs / 1e3, untunedMs / 1e3, untunedMs / 1e3],
  rule: 2,
  threads: 2,
  flop: 1000,
});

const entry = (workload: string, kind: 'untuned' | 'candidate', config: number, ms: number | null, isa = 'cascadelake'): DbEntry => ({
  v: 1,
  tuner: 'autotvm',
  isa,
  workload,
  kind,
  config,
  costs: ms === null ? null : [ms / 1e3],
  threads: 2,
  flop: 1000,
  ...(kind === 'candidate' ? { record: `record ${workload} ${config}` } : {}),
});

test('a workload applies its best candidate only where the alternating verdict beat the untuned schedule by the margin', () => {
  const states = workloadStates(
    [
      entry('A', 'untuned', -1, 2),
      entry('A', 'candidate', 5, 3),
      entry('A', 'candidate', 7, 1.5),
      entry('A', 'candidate', 9, null),
      verdict('A', 7, 2, 1.6),
      entry('B', 'untuned', -1, 1),
      entry('B', 'candidate', 1, 0.9), // faster than the cold untuned figure...
      verdict('B', 1, 0.92, 0.91), // ...but within the margin when timed in alternation
      entry('C', 'untuned', -1, 2),
      entry('C', 'candidate', 1, 0.5), // no verdict: nothing decided
      entry('D', 'untuned', -1, 2),
      entry('D', 'candidate', 1, 1),
      entry('D', 'candidate', 2, 0.8),
      verdict('D', 1, 2, 1), // a verdict won stands for its candidate, whatever was measured after it
      entry('E', 'untuned', -1, 2),
      entry('E', 'candidate', 1, 1),
      { ...verdict('E', 1, 2, 1), rule: 1 }, // taken before the search kept the layout: not used
      entry('F', 'untuned', -1, 2),
      entry('F', 'candidate', 1, 1.2),
      entry('F', 'candidate', 2, 1.0),
      verdict('F', 1, 2, 1.2),
      verdict('F', 2, 2, 1.1), // the fastest winning verdict is the one applied
    ],
    'cascadelake',
  );
  expect(states.get('A')).toEqual({
    untunedMs: 2,
    best: { ms: 1.5, record: 'record A 7', config: 7 },
    verdict: { untunedMs: 2, bestMs: 1.6 },
    applied: 'record A 7',
    candidates: 3,
  });
  expect(gains(states.get('A'))).toBe(true);
  expect(gains(states.get('B'))).toBe(false);
  expect(gains(states.get('C'))).toBe(false);
  expect(states.get('D')?.applied).toBe('record D 1');
  expect(gains(states.get('E'))).toBe(false);
  expect(states.get('F')?.applied).toBe('record F 2');
  expect(recordsFor(states, ['D', 'B', 'A', 'C', 'A', 'E'])?.lines).toEqual(['record A 7', 'record D 1']);
  expect(recordsFor(states, ['B', 'C', 'E'])).toBeUndefined();
  // The hash is the key's share: other records, other hash.
  const other = workloadStates([entry('A', 'untuned', -1, 2), entry('A', 'candidate', 8, 1.4), verdict('A', 8, 2, 1.4)], 'cascadelake');
  expect(recordsFor(other, ['A'])!.hash).not.toBe(recordsFor(states, ['A'])!.hash);
});

test('AutoTVM records apply to an artifact only where its whole build with exactly those records won', () => {
  const states = workloadStates([entry('A', 'untuned', -1, 2), entry('A', 'candidate', 7, 1.5), verdict('A', 7, 2, 1.5)], 'cascadelake');
  const records = recordsFor(states, ['A'])!;
  const art = (lines: string[], untunedMs: number, bestMs: number): DbEntry => ({
    v: 1,
    tuner: 'autotvm',
    isa: 'cascadelake',
    workload: 'M',
    kind: 'artifact',
    config: -1,
    costs: [bestMs / 1e3],
    untuned_costs: [untunedMs / 1e3],
    records: lines,
    threads: 2,
    flop: 0,
  });
  const judge = (e: DbEntry[]) => judged(records, artifactVerdicts(e, 'cascadelake', 'autotvm').get('M'));
  expect(judge([])).toBeUndefined(); // never judged: not applied
  expect(judge([art(['record A 7'], 10, 9)])).toEqual(records);
  expect(judge([art(['record A 7'], 10, 9.9)])).toBeUndefined(); // within the margin
  expect(judge([art(['record A 7'], 10, 11)])).toBeUndefined(); // slower in the graph
  expect(judge([art(['record A 6'], 10, 9)])).toBeUndefined(); // judged on other records
  expect(judge([art(['record A 7'], 10, 9), art(['record A 7'], 10, 12)])).toBeUndefined(); // the latest verdict holds
});

test('records are applied only on the ISA they were tuned for', () => {
  const entries = [
    entry('A', 'untuned', -1, 2, 'skylake-avx512'),
    entry('A', 'candidate', 1, 1, 'skylake-avx512'),
    verdict('A', 1, 2, 1, 'skylake-avx512'),
  ];
  expect(recordsFor(workloadStates(entries, 'cascadelake'), ['A'])).toBeUndefined();
  expect(recordsFor(workloadStates(entries, 'skylake-avx512'), ['A'])?.lines).toEqual(['record A 1']);
  expect(targetIsa('llvm -mtriple=x86_64-linux-gnu -mcpu=cascadelake')).toBe('cascadelake');
  expect(targetIsa('llvm -mtriple=x86_64-linux-gnu -mattr=+fma,+avx2 -mcpu=haswell')).toBe('haswell++avx2,+fma');
  expect(targetIsa('llvm -mtriple=aarch64-linux-gnu')).toBe('generic');
});

test('reading: a missing file is empty, a torn last line is skipped, a foreign file is refused', () => {
  const dir = tempDir();
  expect(readTuningDb(path.join(dir, 'none.jsonl'))).toEqual([]);
  const torn = path.join(dir, 'torn.jsonl');
  writeFileSync(torn, `${JSON.stringify(entry('A', 'untuned', -1, 2))}\n{"v": 1, "tuner": "auto`);
  expect(readTuningDb(torn)).toHaveLength(1);
  const foreign = path.join(dir, 'foreign.jsonl');
  writeFileSync(foreign, '{"input": ["llvm", "conv2d"], "config": {}}\n');
  expect(() => readTuningDb(foreign)).toThrow(Tf2tvmError);
  const text = path.join(dir, 'text.jsonl');
  writeFileSync(text, 'not a database\nat all\n');
  try {
    readTuningDb(text);
    throw new Error('no error');
  } catch (e) {
    expect((e as Tf2tvmError).code).toBe('TF2TVM1020');
    expect((e as Tf2tvmError).exitCode).toBe(1);
  }
});

test('the budget follows the work: weight x flop, every workload at least one, the total exact', () => {
  const w = [
    { flop: 1000, weight: 3 },
    { flop: 1000, weight: 1 },
    { flop: 10, weight: 1 },
  ];
  const a = allot(w, 100);
  expect(a.reduce((x, y) => x + y, 0)).toBe(100);
  expect(a[0]!).toBeGreaterThan(2.5 * a[1]!);
  expect(a[2]!).toBeGreaterThanOrEqual(1);
  expect(allot(w, 2).reduce((x, y) => x + y, 0)).toBe(2);
  expect(allot(w, 100)).toEqual(a); // deterministic
  expect(allot([], 10)).toEqual([]);
});

test("the budget follows measured time: a workload far below the others' GFLOP/s gets more than its flop share", () => {
  // Same flop and weight; the second ran 4x slower untuned, the third is not measured yet.
  const w = [
    { flop: 1000, weight: 1, untunedMs: 1 },
    { flop: 1000, weight: 1, untunedMs: 4 },
    { flop: 2000, weight: 1 },
  ];
  const a = allot(w, 80);
  expect(a.reduce((x, y) => x + y, 0)).toBe(80);
  expect(a[1]!).toBeGreaterThan(3.5 * a[0]!);
  // Unmeasured: estimated at the measured pace (2000 flop at 2000/5 flop per ms = 5 ms).
  expect(a[2]!).toBeGreaterThan(a[1]!);
  // Without measurements the split is by flop alone.
  expect(
    allot(
      w.map(({ flop, weight }) => ({ flop, weight })),
      80,
    ),
  ).toEqual([20, 20, 40]);
});

test('workloads merge across artifacts: weights add, the first artifact tunes it, heaviest first', () => {
  const d1 = { cluster: 'cluster_0' } as Draft;
  const d2 = { cluster: 'cluster_1' } as Draft;
  const merged = mergeWorkloads(
    new Map([
      [
        d1,
        [
          { workload: 'small', task: 't', flop: 10, weight: 1 },
          { workload: 'big', task: 't', flop: 100, weight: 1 },
        ],
      ],
      [d2, [{ workload: 'small', task: 't', flop: 10, weight: 20 }]],
    ]),
  );
  expect(merged.map((m) => [m.key, m.weight, m.draft.cluster])).toEqual([
    ['small', 21, 'cluster_0'],
    ['big', 1, 'cluster_0'],
  ]);
});

test('nominal peak: cores x GHz x FLOP per cycle from the CPU flags', () => {
  expect(nominalPeakGflops(2, 'cpu MHz\t\t: 2500.000\nflags\t\t: fpu avx2 fma avx512f\n')).toBe(320);
  expect(nominalPeakGflops(1, 'cpu MHz\t\t: 3000.000\nflags\t\t: fpu avx2 fma\n')).toBe(96);
});

test("measured peak: the runtime's tf2tvm_peak on the threads asked for; nominal where it cannot run", () => {
  // Built by the runtime's build (scripts/setup.sh), like the op library.
  const one = peakGflops(1);
  expect(one.source).toBe('measured');
  // Any x86 core of this century does more than 1 GFLOP/s, and no one core 10,000.
  expect(one.gflops).toBeGreaterThan(1);
  expect(one.gflops).toBeLessThan(10_000);
  expect(peakGflops(1, '/nonexistent/tf2tvm_peak')).toEqual({ gflops: nominalPeakGflops(1), source: 'nominal' });
  // A program that fails, or prints something else, is not believed.
  expect(peakGflops(1, '/bin/false')).toEqual({ gflops: nominalPeakGflops(1), source: 'nominal' });
  expect(peakGflops(1, '/bin/echo')).toEqual({ gflops: nominalPeakGflops(1), source: 'nominal' });
});

test('the busy check: more runnable work than the cores a candidate leaves free', () => {
  // Two cores, candidates on two threads: anything above half a core of other work is busy.
  expect(machineBusy({ average: 0.1, cores: 2 }, 2)).toBe(false);
  expect(machineBusy({ average: 0.6, cores: 2 }, 2)).toBe(true);
  // One thread on two cores leaves one core for others.
  expect(machineBusy({ average: 1.4, cores: 2 }, 1)).toBe(false);
  expect(machineBusy({ average: 1.6, cores: 2 }, 1)).toBe(true);
  expect(machineBusy({ average: 3.0, cores: 8 }, 2)).toBe(false);
  expect(machineBusy({ average: 7.0, cores: 8 }, 2)).toBe(true);
});
