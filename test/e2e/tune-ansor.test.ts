// tf2tvm tune --tuner ansor with the real toolchain: the auto-scheduler's
// candidates land in the database tagged with their artifact, the artifact's
// build with the best records is timed against its untuned build (the
// verdict), a second tune with the same budget measures nothing, and compile
// applies the records only where that verdict won: then the artifact is a
// different build that still matches TensorFlow; where it lost, the artifact
// is the untuned one byte for byte.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

interface Entry {
  tuner: string;
  kind: string;
  workload: string;
  costs: number[] | null;
  untuned_costs?: number[];
  records?: string[];
  record?: string;
  artifact?: string;
}

function entries(db: string): Entry[] {
  return readFileSync(db, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Entry);
}

/** The database with every artifact verdict's tuned time set to `factor` x its untuned time. */
function rig(db: string, out: string, factor: number): void {
  const lines = entries(db).map((e) => JSON.stringify(e.kind === 'artifact' ? { ...e, costs: e.untuned_costs!.map((c) => c * factor) } : e));
  writeFileSync(out, lines.join('\n') + '\n');
}

const model = fixture('conv_mlp');

test('--tuner ansor: records per artifact, a verdict on the whole build, applied only where it won, and the result matches TensorFlow', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'ansor.jsonl');
  const t = await tf2tvmJson<{
    tuner: string;
    workloads: { workload: string; candidates: number; allotted: number; untuned_ms: number | null; best_ms: number | null }[];
  }>(['tune', model, '--tuner', 'ansor', '--trials', '8', '--tuning-db', db]);
  expect(t.r.exitCode).toBe(0);
  expect(t.doc.tuner).toBe('ansor');
  expect(t.doc.workloads).toHaveLength(1);
  const row = t.doc.workloads[0]!;
  expect(row.workload).toMatch(/^cluster_0\//);
  expect(row.allotted).toBe(8);
  const all = entries(db);
  const records = all.filter((e) => e.kind === 'record');
  expect(records.length).toBeGreaterThan(0);
  expect(records.every((e) => e.tuner === 'ansor' && typeof e.record === 'string' && typeof e.artifact === 'string')).toBe(true);
  expect(row.candidates).toBe(records.length);
  // More than one workload (the convolution and the dense at least), each with measured candidates.
  const measured = new Set(records.filter((e) => e.costs).map((e) => e.workload));
  expect(measured.size).toBeGreaterThan(1);
  const verdicts = all.filter((e) => e.kind === 'artifact');
  expect(verdicts).toHaveLength(1);
  const v = verdicts[0]!;
  expect(v.records!.length).toBe(measured.size);
  expect(v.costs!.length).toBe(v.untuned_costs!.length);
  expect(row.untuned_ms).toBeGreaterThan(0);
  expect(row.best_ms).toBeGreaterThan(0);

  // The same budget again: nothing measured, no second verdict.
  const before = readFileSync(db, 'utf8');
  const again = await tf2tvm(['tune', model, '--tuner', 'ansor', '--trials', '8', '--tuning-db', db]);
  expect(again.exitCode).toBe(0);
  expect(readFileSync(db, 'utf8')).toBe(before);

  const plain = path.join(dir, 'plain');
  expect((await tf2tvm(['compile', model, '-o', plain])).exitCode).toBe(0);
  const so = (out: string): Buffer => readFileSync(path.join(out, 'clusters', 'cluster_0', '1x28x28x1.so'));

  // A verdict that lost: the untuned artifact, byte for byte, and no tuning log beside it.
  const lostDb = path.join(dir, 'lost.jsonl');
  rig(db, lostDb, 2);
  const lost = path.join(dir, 'lost');
  expect((await tf2tvm(['compile', model, '-o', lost, '--tuning-db', lostDb])).exitCode).toBe(0);
  expect(so(lost).equals(so(plain))).toBe(true);

  // A verdict that won: built with exactly the records it timed, and still TensorFlow's result.
  const wonDb = path.join(dir, 'won.jsonl');
  rig(db, wonDb, 0.5);
  const won = path.join(dir, 'won');
  expect((await tf2tvm(['compile', model, '-o', won, '--tuning-db', wonDb])).exitCode).toBe(0);
  expect(so(won).equals(so(plain))).toBe(false);
  const log = readFileSync(path.join(won, 'clusters', 'cluster_0', '1x28x28x1.tuning.log'), 'utf8')
    .trim()
    .split('\n');
  expect(log).toEqual(v.records);
  const check = await tf2tvm(['verify', model, won]);
  expect(check.exitCode).toBe(0);
});

test('--tuner ansor is refused on a farm, with a usage code and nothing written', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'ansor.jsonl');
  const r = await tf2tvmJson<{ ok: boolean; error: { code: string } }>([
    'tune',
    model,
    '--tuner',
    'ansor',
    '--trials',
    '4',
    '--tuning-db',
    db,
    '--rpc-tracker',
    '127.0.0.1:9',
    '--rpc-key',
    'k',
  ]);
  expect(r.r.exitCode).toBe(2);
  expect(r.doc.error.code).toBe('TF2TVM2003');
  expect(existsSync(db)).toBe(false);
});
