// Real TVM builds through BuildWorker: the test network is built to a .so,
// run in a tvm-only Python process with the graph executor and compared to a
// numpy reference that the Python snippet computes itself. A failing job
// answers ok: false with a log and the same worker then builds the next job.

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emitRelay } from '../../backends/relay/emit.js';
import { writeRelayFiles, type RelayFiles } from '../../backends/relay/files.js';
import { writeNpy } from '../../backends/relay/npy.js';
import { findToolchain, hostTarget, type Toolchain } from '../../backends/python/toolchain.js';
import { BuildWorker, buildAll, launcherLibrary, type BuildJob } from '../../backends/tvm/worker.js';
import { readTuningDb, recordsFor, targetIsa, workloadStates } from '../../backends/tvm/tuning-db.js';
import { OPTIMIZATIONS } from '../../backends/tvm/optimizations.js';
import { runPython, smallNet } from './helpers.js';

let tc: Toolchain;
let dir: string;
let files: RelayFiles;
const target = hostTarget();

beforeAll(async () => {
  tc = await findToolchain();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-build-'));
  files = writeRelayFiles(path.join(dir, 'in'), 'small_net', emitRelay(smallNet()));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function job(id: string, extra: Partial<BuildJob> = {}): BuildJob {
  return { id, relay: files.relay, params: files.params, target, opt_level: 3, out: path.join(dir, 'out', `${id}.so`), ...extra };
}

// Runs a built library on a seeded input and compares it with numpy: conv
// (explicit loops, NHWC, pads [0, 0, 1, 1], stride 2) + bias + relu + dense + softmax.
const RUN_AND_COMPARE = `
import sys, json
import numpy as np
import tvm
from tvm.contrib import graph_executor
req = json.load(sys.stdin)
w = {k: np.load(v) for k, v in req["params"].items()}
x = np.random.RandomState(req["seed"]).normal(0, 1, (1, 8, 8, 2)).astype("float32")
gm = graph_executor.GraphModule(tvm.runtime.load_module(req["so"])["default"](tvm.cpu()))
gm.set_input("in0", x)
gm.run()
got = gm.get_output(0).numpy()

xp = np.pad(x.astype(np.float64), ((0, 0), (0, 1), (0, 1), (0, 0)))
k = w["w0"].astype(np.float64)
conv = np.zeros((1, 4, 4, 4))
for i in range(4):
    for j in range(4):
        for o in range(4):
            conv[0, i, j, o] = np.sum(xp[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :] * k[:, :, :, o])
h = np.maximum(conv + w["w1"], 0).reshape(1, 64)
logits = h @ w["w2"].astype(np.float64).T
e = np.exp(logits - logits.max(axis=-1, keepdims=True))
want = e / e.sum(axis=-1, keepdims=True)
print(json.dumps({"shape": list(got.shape), "dtype": str(got.dtype), "max_abs_err": float(np.abs(got - want).max()),
                  "num_outputs": gm.get_num_outputs(), "sum": float(got.sum())}))
`;

interface RunReport {
  shape: number[];
  dtype: string;
  max_abs_err: number;
  num_outputs: number;
  sum: number;
}

describe('BuildWorker with real TVM', () => {
  test('builds the test network to a .so that computes what numpy computes', async () => {
    const w = new BuildWorker(tc, { logDir: path.join(dir, 'logs') });
    try {
      const r = await w.build(job('small_net'));
      expect(r).toMatchObject({ id: 'small_net', ok: true, tvm_version: expect.stringMatching(/^0\.\d+/) as unknown });
      if (!r.ok) return;
      expect(r.seconds).toBeGreaterThan(0);
      const so = path.join(dir, 'out', 'small_net.so');
      expect(existsSync(so)).toBe(true);
      // No temporary file left beside it, and a successful job's log is removed.
      expect(readdirSync(path.join(dir, 'out'))).toEqual(['small_net.so']);
      const report = await runPython<RunReport>(tc, RUN_AND_COMPARE, { so, params: files.params, seed: 3 });
      expect(report).toMatchObject({ shape: [1, 10], dtype: 'float32', num_outputs: 1 });
      expect(report.max_abs_err).toBeLessThan(1e-5);
      expect(report.sum).toBeCloseTo(1, 5);
    } finally {
      await w.close();
    }
    expect(w.pid).toBeUndefined();
  });

  test('with every optimisation off the library differs and still computes what numpy computes', async () => {
    const w = new BuildWorker(tc, { logDir: path.join(dir, 'logs') });
    try {
      const all = OPTIMIZATIONS.map((o) => o.name);
      const [on, off, bad] = await Promise.all([
        w.build(job('opts_on')),
        w.build(job('opts_off', { disable: all })),
        w.build(job('opts_bad', { disable: ['no-such-opt'] })),
      ]);
      expect(on).toMatchObject({ ok: true });
      expect(off).toMatchObject({ ok: true });
      expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('unknown optimisation(s) no-such-opt') as unknown });
      const onSo = path.join(dir, 'out', 'opts_on.so');
      const offSo = path.join(dir, 'out', 'opts_off.so');
      expect(readFileSync(onSo).equals(readFileSync(offSo))).toBe(false);
      for (const so of [onSo, offSo]) {
        const report = await runPython<RunReport>(tc, RUN_AND_COMPARE, { so, params: files.params, seed: 5 });
        expect(report.max_abs_err).toBeLessThan(1e-5);
      }
    } finally {
      await w.close();
    }
  });

  test('tasks, tune and tuning_log: workloads listed with weights, tuned into a database on the launcher, the records applied', async () => {
    const w = new BuildWorker(tc, { logDir: path.join(dir, 'logs') });
    const db = path.join(dir, 'tuning', 'small_net.jsonl');
    const module = { relay: files.relay, params: files.params, target };
    try {
      const listed = await w.tasks({ kind: 'tasks', id: 'tasks', ...module });
      expect(listed.ok).toBe(true);
      if (!listed.ok) return;
      // The convolution and the dense product (two implementations of it).
      expect(listed.tasks.map((t) => t.task)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^conv2d_NCHWc/), expect.stringMatching(/^dense/)]),
      );
      for (const t of listed.tasks) {
        expect(t.weight).toBe(1);
        expect(t.flop).toBeGreaterThan(0);
      }
      const trials = Object.fromEntries(listed.tasks.map((t) => [t.workload, 3]));

      // Without the launcher library, tuning fails before timing anything on one thread.
      const noLauncher = path.join(dir, 'no-such-folder', 'libtf2tvm_launcher.so');
      const missing = await w.tune({ kind: 'tune', id: 'no_launcher', ...module, db, trials, threads: 2, launcher: noLauncher });
      expect(missing).toMatchObject({ ok: false, error: expect.stringContaining(`launcher library ${noLauncher}`) as unknown });
      expect(existsSync(db)).toBe(false);

      const tuned = await w.tune({ kind: 'tune', id: 'tune', ...module, db, trials, threads: 2, launcher: launcherLibrary() });
      expect(tuned.ok).toBe(true);
      if (!tuned.ok) return;
      expect(tuned.tuning.map((t) => t.workload).sort()).toEqual(Object.keys(trials).sort());
      for (const t of tuned.tuning) {
        expect(t.trials).toBeGreaterThan(0);
        expect(t.trials).toBeLessThanOrEqual(3);
        expect(t.untuned_ms).toBeGreaterThan(0);
        expect(t.threads).toBe(2);
      }
      const entries = readTuningDb(db);
      expect(entries.filter((e) => e.kind === 'untuned')).toHaveLength(listed.tasks.length);
      // One verdict per workload: its best against untuned, in alternation.
      expect(entries.filter((e) => e.kind === 'verdict')).toHaveLength(listed.tasks.length);
      expect(entries.filter((e) => e.kind === 'candidate')).toHaveLength(tuned.tuning.reduce((n, t) => n + t.measured, 0));
      for (const e of entries) expect(e.threads).toBe(2);

      // The records a build applies, rigged to win (an untuned time of 1 s): the build must take them and stay correct.
      const states = workloadStates(
        entries.map((e) => (e.kind === 'verdict' ? { ...e, untuned_costs: [1] } : e)),
        targetIsa(target),
      );
      const applied = recordsFor(
        states,
        listed.tasks.map((t) => t.workload),
      );
      expect(applied?.lines.length).toBeGreaterThan(0);
      const log = path.join(dir, 'tuning', 'applied.log');
      writeFileSync(log, applied!.lines.join('\n') + '\n');
      const built = await w.build(job('tuned', { tuning_log: log }));
      expect(built).toMatchObject({ ok: true });
      const report = await runPython<RunReport>(tc, RUN_AND_COMPARE, { so: path.join(dir, 'out', 'tuned.so'), params: files.params, seed: 7 });
      expect(report.max_abs_err).toBeLessThan(1e-5);

      const bad = await w.tune({ kind: 'tune', id: 'tune_bad', ...module, db, trials: { x: -1 }, threads: 2, launcher: launcherLibrary() });
      expect(bad).toMatchObject({ ok: false, error: expect.stringContaining('"trials"') as unknown });
    } finally {
      await w.close();
    }
  });

  test('a failing job answers ok: false with a log, and the same worker builds the next job', async () => {
    const bad = path.join(dir, 'in', 'bad.relay');
    // A type error: the bias has 3 elements, the conv 4 channels.
    writeFileSync(bad, readFileSync(files.relay, 'utf8').replace('%w1: Tensor[(4), float32]', '%w1: Tensor[(3), float32]'));
    const badNpy = path.join(dir, 'in', 'bias3.npy');
    // A valid 3-element weight, so the failure is Relay's type check, not the weight check's.
    writeNpy(badNpy, { dtype: 'float32', shape: [3] }, new Uint8Array(12));

    const logDir = path.join(dir, 'logs');
    const w = new BuildWorker(tc, { logDir });
    try {
      const [r1, r2, r3] = await Promise.all([
        w.build(job('bad', { relay: bad, params: { ...files.params, w1: badNpy } })),
        w.build(job('missing_weight', { params: { w0: files.params.w0!, w2: files.params.w2! } })),
        w.build(job('good_after_bad', { disable: ['convert-layout'] })),
      ]);
      const pid = w.pid;
      expect(r1).toMatchObject({ id: 'bad', ok: false });
      if (r1.ok) return;
      expect(r1.error).toMatch(/^Relay: The Relay type checker .* 4 does not match 3\. at .*bad\.relay:\d+:\d+$/);
      expect(r1.log).toBeDefined();
      expect(path.dirname(r1.log!)).toBe(logDir);
      const log = readFileSync(r1.log!, 'utf8');
      expect(log).toMatch(/Traceback/);
      expect(log).toMatch(/error: The Relay type checker/);
      expect(r2).toMatchObject({ id: 'missing_weight', ok: false, error: expect.stringContaining('%w1') as unknown });
      expect(r3).toMatchObject({ id: 'good_after_bad', ok: true });
      expect(existsSync(path.join(dir, 'out', 'good_after_bad.so'))).toBe(true);
      expect(existsSync(path.join(dir, 'out', 'bad.so'))).toBe(false);
      // Still the same process: the failures did not end it.
      const r4 = await w.build(job('again', { target: 'llvm -mtriple=x86_64-linux-gnu -mcpu=native' }));
      expect(r4).toMatchObject({ ok: false, error: expect.stringContaining('-mcpu=native') as unknown });
      expect(w.pid).toBe(pid);
    } finally {
      await w.close();
    }
  });

  test('buildAll spreads jobs over workers and keeps their order', async () => {
    const seen: string[] = [];
    const jobs = ['a', 'b', 'c'].map((id) => ({ ...job(`all_${id}`), tag: id }));
    const results = await buildAll(tc, jobs, {
      jobs: 2,
      worker: { logDir: path.join(dir, 'logs') },
      onResult: (j, r) => seen.push(`${j.tag}:${r.ok}`),
    });
    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['all_a', true],
      ['all_b', true],
      ['all_c', true],
    ]);
    expect(seen.sort()).toEqual(['a:true', 'b:true', 'c:true']);
    for (const id of ['a', 'b', 'c']) expect(existsSync(path.join(dir, 'out', `all_${id}.so`))).toBe(true);
  });
});
