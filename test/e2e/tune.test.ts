// tf2tvm tune and compile --tuning-db on a small model, with the real
// toolchain: the database fills with measured candidates, a second tune
// continues it (nothing measured twice), a tune killed with SIGKILL loses at
// most the candidate in flight, and the compiled graph applies the records
// and still matches TensorFlow.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

interface Row {
  workload: string;
  weight: number;
  allotted: number;
  candidates: number;
  untuned_ms: number | null;
  best_ms: number | null;
}
interface TuneDoc {
  ok: boolean;
  isa: string;
  threads: number;
  workloads: Row[];
  artifacts: { artifact: string; records: number; untuned_ms: number | null; tuned_ms: number | null; applied: boolean }[];
}

function candidates(db: string): { workload: string; config: number }[] {
  return readFileSync(db, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const e = JSON.parse(l) as { kind: string; workload: string; config: number };
        return e.kind === 'candidate' ? [{ workload: e.workload, config: e.config }] : [];
      } catch {
        return []; // a line torn by a kill
      }
    });
}

function expectNoRepeats(db: string): void {
  const seen = candidates(db).map((c) => `${c.workload}#${c.config}`);
  expect(new Set(seen).size).toBe(seen.length);
}

const model = fixture('conv_mlp');

test('tune fills the database, a second tune continues it, compile applies it and matches TensorFlow', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'tuning.jsonl');
  const first = await tf2tvmJson<TuneDoc>(['tune', model, '--trials', '8', '--tuning-db', db]);
  expect(first.r.exitCode).toBe(0);
  expect(first.doc.workloads.length).toBeGreaterThan(0);
  expect(first.doc.workloads.reduce((n, w) => n + w.allotted, 0)).toBe(8);
  for (const w of first.doc.workloads) {
    expect(w.candidates).toBeGreaterThan(0);
    expect(w.candidates).toBeLessThanOrEqual(w.allotted);
    expect(w.untuned_ms).toBeGreaterThan(0);
  }
  // One judgement per artifact: where records would apply, the whole build timed against the untuned one.
  expect(first.doc.artifacts.map((a) => a.artifact)).toEqual(['cluster_0/1x28x28x1']);
  for (const a of first.doc.artifacts) {
    if (a.records > 0) expect(a.untuned_ms! > 0 && a.tuned_ms! > 0).toBe(true);
    if (a.applied) expect(a.tuned_ms!).toBeLessThan(a.untuned_ms!);
  }
  const afterFirst = candidates(db).length;
  expect(afterFirst).toBe(first.doc.workloads.reduce((n, w) => n + w.candidates, 0));

  const second = await tf2tvmJson<TuneDoc>(['tune', model, '--trials', '16', '--tuning-db', db]);
  expect(second.r.exitCode).toBe(0);
  expect(candidates(db).length).toBeGreaterThan(afterFirst);
  expect(candidates(db).length).toBe(second.doc.workloads.reduce((n, w) => n + w.candidates, 0));
  expectNoRepeats(db);

  // The same budget again measures nothing new.
  const before = readFileSync(db, 'utf8');
  const again = await tf2tvmJson<TuneDoc>(['tune', model, '--trials', '16', '--tuning-db', db]);
  expect(again.r.exitCode).toBe(0);
  expect(readFileSync(db, 'utf8')).toBe(before);

  const out = path.join(dir, 'out');
  const c = await tf2tvmJson<{ built: number; cached: number }>(['compile', model, '-o', out, '--tuning-db', db]);
  expect(c.r.exitCode).toBe(0);
  const v = await tf2tvm(['verify', model, out]);
  expect(v.exitCode).toBe(0);
  // A second compile with the same database is all cache hits.
  const c2 = await tf2tvmJson<{ built: number; cached: number }>(['compile', model, '-o', path.join(dir, 'out2'), '--tuning-db', db]);
  expect(c2.doc.built).toBe(0);
  expect(readFileSync(path.join(dir, 'out2', 'model.pb')).equals(readFileSync(path.join(out, 'model.pb')))).toBe(true);
});

test('a tune killed with SIGKILL loses at most the candidate in flight, and the next one completes the budget', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'tuning.jsonl');
  const child = spawn('node', [CLI, 'tune', model, '--trials', '40', '--tuning-db', db, '--json'], { detached: true, stdio: 'ignore' });
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline && !(existsSync(db) && candidates(db).length >= 6)) await new Promise((r) => setTimeout(r, 200));
  // The whole process group: the CLI and its Python build worker.
  process.kill(-child.pid!, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 500));
  const kept = candidates(db).length;
  expect(kept).toBeGreaterThanOrEqual(6);
  const rerun = await tf2tvmJson<TuneDoc>(['tune', model, '--trials', '40', '--tuning-db', db]);
  expect(rerun.r.exitCode).toBe(0);
  expectNoRepeats(db);
  const total = rerun.doc.workloads.reduce((n, w) => n + w.candidates, 0);
  expect(total).toBe(candidates(db).length);
  expect(total).toBeGreaterThan(kept);
  for (const w of rerun.doc.workloads) expect(w.candidates).toBeLessThanOrEqual(w.allotted);
});

test('a file that is not a tuning database is refused with its code, exit 1', async () => {
  const dir = tempDir();
  const bad = path.join(dir, 'bad.jsonl');
  writeFileSync(bad, 'hello\n');
  const t = await tf2tvmJson<{ ok: boolean; error: { code: string } }>(['tune', model, '--trials', '4', '--tuning-db', bad]);
  expect(t.r.exitCode).toBe(1);
  expect(t.doc.error.code).toBe('TF2TVM1020');
  const c = await tf2tvmJson<{ ok: boolean; error: { code: string } }>(['compile', model, '-o', path.join(dir, 'out'), '--tuning-db', bad]);
  expect(c.r.exitCode).toBe(1);
  expect(c.doc.error.code).toBe('TF2TVM1020');
  expect(existsSync(path.join(dir, 'out'))).toBe(false);
});

test('a database that changes rebuilds only the artifacts whose workloads it changes', async () => {
  const dir = tempDir();
  const db = path.join(dir, 'tuning.jsonl');
  const dyn = fixture('dynamic_batch');
  const t = await tf2tvmJson<TuneDoc>(['tune', dyn, '--batch', '1', '--trials', '4', '--tuning-db', db]);
  expect(t.r.exitCode).toBe(0);
  // Make every tuned workload's best candidate win its verdict (an untuned
  // time of 1 s); a second tune with the same budget measures nothing new but
  // judges each artifact's build with those records, and that verdict is made
  // to win too, so that the records are applied whatever this machine measured.
  const rig = (kind: string): void => {
    const rigged = readFileSync(db, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const e = JSON.parse(l) as { kind: string };
        return JSON.stringify(e.kind === kind ? { ...e, untuned_costs: [1] } : e);
      });
    writeFileSync(db, rigged.join('\n') + '\n');
  };
  rig('verdict');
  expect((await tf2tvm(['tune', dyn, '--batch', '1', '--trials', '4', '--tuning-db', db])).exitCode).toBe(0);
  // Every rigged verdict wins, so the artifact's verdict is on all of their
  // records (whether or not the first tune had judged a smaller set). Parsed,
  // not matched as text: the tool writes its own spacing.
  const entries = readFileSync(db, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { kind: string; workload: string; records?: string[] });
  const verdicts = new Set(entries.filter((e) => e.kind === 'verdict').map((e) => e.workload));
  expect(verdicts.size).toBeGreaterThan(0);
  expect(entries.some((e) => e.kind === 'artifact' && e.records?.length === verdicts.size)).toBe(true);
  rig('artifact');
  const plain = await tf2tvmJson<{ built: number; cached: number }>(['compile', dyn, '--batch', '1,4', '-o', path.join(dir, 'plain')]);
  expect(plain.r.exitCode).toBe(0);
  const tuned = await tf2tvmJson<{ built: number; cached: number; clusters: { artifacts: { shapes: string; status: string }[] }[] }>([
    'compile',
    dyn,
    '--batch',
    '1,4',
    '-o',
    path.join(dir, 'tuned'),
    '--tuning-db',
    db,
  ]);
  expect(tuned.r.exitCode).toBe(0);
  const status = Object.fromEntries(tuned.doc.clusters.flatMap((c) => c.artifacts.map((a) => [a.shapes.split('x')[0], a.status])));
  expect(status).toEqual({ '1': 'built', '4': 'cached' });
  expect((await tf2tvm(['verify', dyn, path.join(dir, 'tuned')])).exitCode).toBe(0);
});
