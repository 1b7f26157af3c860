// tf2tvm bench and cluster_timing.py on conv_mlp: the report's shape, positive
// times, and that each cluster's bridge op agrees with its TF subgraph.
// tf2tvm profile on the same output. Not a performance test: nothing here
// asserts one variant is faster.

import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import type { BenchReport } from '../../src/cli/commands/bench.js';
import type { ProfileReport } from '../../src/cli/commands/profile.js';
import { fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

const work = tempDir('tf2tvm-bench-');
const out = path.join(work, 'conv_mlp');

beforeAll(async () => {
  const c = await tf2tvm(['compile', fixture('conv_mlp'), '-o', out]);
  if (c.exitCode !== 0) throw new Error(`compile conv_mlp failed:\n${c.stderr}`);
});

const positive = (v: number | null | undefined): void => {
  expect(typeof v).toBe('number');
  expect(v).toBeGreaterThan(0);
};

describe('tf2tvm bench --json', () => {
  let doc: BenchReport;
  beforeAll(async () => {
    const { r, doc: d } = await tf2tvmJson<BenchReport>(['bench', fixture('conv_mlp'), out, '--runs', '3', '--warmup', '1', '--threads', '2']);
    if (r.exitCode !== 0) throw new Error(`bench failed (exit ${r.exitCode}):\n${r.stderr}`);
    doc = d;
  });

  test('reports every variant with a median and a spread, on the same thread settings', () => {
    expect(doc.ok).toBe(true);
    for (const k of ['tf', 'tf2tvm'] as const) {
      positive(doc[`${k}_ms`]);
      expect(doc[`${k}_p10_ms`]!).toBeLessThanOrEqual(doc[`${k}_ms`]!);
      expect(doc[`${k}_p90_ms`]!).toBeGreaterThanOrEqual(doc[`${k}_ms`]!);
    }
    // XLA: a number when this TensorFlow build ran an XLA cluster, else null with the reason.
    if (doc.xla.available) positive(doc.xla_ms);
    else {
      expect(doc.xla_ms).toBeNull();
      expect(typeof doc.xla.reason).toBe('string');
    }
    expect(doc.threads).toEqual({ tf_intra_op: 2, tf_inter_op: 1, tvm: 2 });
    expect(typeof doc.cpu).toBe('string');
    expect(doc.outputs).toEqual(['softmax:0']);
    positive(doc.speedup_vs_tf);
    expect(doc.max_rel_err!.tf2tvm!).toBeLessThanOrEqual(1e-5);
    expect(doc.shape_sets.map((s) => s.key)).toEqual(['1x28x28x1']);
  });

  test('times each cluster alone', () => {
    expect(doc.clusters).toHaveLength(1);
    const c = doc.clusters[0]!;
    expect(c).toMatchObject({ cluster: 'cluster_0', shapes: '1x28x28x1', nodes: 16, inputs: 'captured' });
    positive(c.tf_ms);
    positive(c.tvm_ms);
    positive(c.speedup);
    // speedup: the median of tf/tvm over back-to-back pairs, inside its own spread.
    expect(c.speedup_p10!).toBeLessThanOrEqual(c.speedup!);
    expect(c.speedup!).toBeLessThanOrEqual(c.speedup_p90!);
    expect(c.pairs).toBe(3);
    expect(c.tvm_wins).toBeGreaterThanOrEqual(0);
    expect(c.tvm_wins).toBeLessThanOrEqual(3);
    // The sign test for 3 runs: P(at least k of 3 | fair coin).
    expect(c.p_faster).toBeCloseTo([1, 7 / 8, 4 / 8, 1 / 8][c.tvm_wins!]!, 12);
    expect(c.max_rel_err!).toBeLessThanOrEqual(1e-5);
  });
});

test('tf2tvm bench --min-time goes on past --runs, up to 100 x --runs, and its statistics hold there', async () => {
  // 30 s per variant cannot be reached in 1,100 sub-millisecond calls: the cap ends it.
  const { r, doc } = await tf2tvmJson<BenchReport>(['bench', fixture('conv_mlp'), out, '--runs', '11', '--warmup', '1', '--min-time', '30']);
  if (r.exitCode !== 0) throw new Error(`bench failed (exit ${r.exitCode}):\n${r.stderr}`);
  expect(doc.min_time).toBe(30);
  expect(doc.shape_sets[0]!.runs).toBe(1100);
  const c = doc.clusters[0]!;
  // More than 1,023 pairs: the sign test's 2^n is past a float's range.
  expect(c.pairs).toBe(1100);
  expect(c.p_faster).toBeGreaterThanOrEqual(0);
  expect(c.p_faster).toBeLessThanOrEqual(1);
  const fewer = await tf2tvmJson<BenchReport>(['bench', fixture('conv_mlp'), out, '--runs', '3', '--warmup', '1', '--no-clusters']);
  expect(fewer.doc.shape_sets[0]!.runs).toBe(3);
});

test('tf2tvm bench prints a table', async () => {
  const r = await tf2tvm(['bench', fixture('conv_mlp'), out, '--runs', '2', '--warmup', '0', '--no-clusters']);
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toMatch(/^TensorFlow +\d/m);
  expect(r.stdout).toMatch(/^tf2tvm +\d/m);
  expect(r.stdout).toMatch(/^TF \+ XLA JIT /m);
  expect(r.stdout).not.toMatch(/each cluster alone/);
});

test('tf2tvm bench --compare times a second build of the model in the same process, interleaved', async () => {
  // Another build of the same model: without the layout optimisation, so a different artifact.
  const other = path.join(work, 'conv_mlp_other');
  expect((await tf2tvm(['compile', fixture('conv_mlp'), '-o', other, '--disable-opt', 'convert-layout'])).exitCode).toBe(0);
  const { r, doc } = await tf2tvmJson<BenchReport>([
    'bench',
    fixture('conv_mlp'),
    out,
    '--compare',
    other,
    '--runs',
    '4',
    '--warmup',
    '1',
    '--no-clusters',
  ]);
  expect(r.exitCode).toBe(0);
  expect(doc.compare).toBe(other);
  positive(doc.compare_ms);
  expect(doc.compare_p10_ms!).toBeLessThanOrEqual(doc.compare_ms!);
  positive(doc.compare_vs_tf);
  positive(doc.compare_vs_tf2tvm);
  expect(doc.max_rel_err!.compare!).toBeLessThanOrEqual(1e-5);
  const table = await tf2tvm(['bench', fixture('conv_mlp'), out, '--compare', other, '--runs', '2', '--warmup', '0', '--no-clusters']);
  expect(table.stdout).toMatch(/^--compare +\d/m);
  expect(table.stdout).toMatch(/^--compare vs tf2tvm: [\d.]+x/m);
  const missing = await tf2tvm(['bench', fixture('conv_mlp'), out, '--compare', work, '--json']);
  expect(missing.exitCode).toBe(1);
  expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'TF2TVM1015' } });
});

test('tf2tvm bench on a folder that is not a compile output fails with a code', async () => {
  const r = await tf2tvm(['bench', fixture('conv_mlp'), work, '--json']);
  expect(r.exitCode).toBe(1);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'TF2TVM1015' } });
});

test('cluster_timing.py: the bridge op agrees with the TF subgraph, --clusters selects', async () => {
  const tc = await findToolchain();
  const script = projectPath('backends', 'tf', 'cluster_timing.py');
  const args = [script, '--model', fixture('conv_mlp'), '--out', out, '--runs', '3', '--warmup', '1', '--threads', '1', '--clusters', 'cluster_0'];
  const r = await execa(tc.python, args, { env: tc.env(), reject: false, stdin: 'ignore' });
  expect(r.exitCode).toBe(0);
  const doc = JSON.parse(String(r.stdout)) as {
    ok: boolean;
    threads: Record<string, number>;
    clusters: { cluster: string; max_rel_err: number; tf_ms: number; tvm_ms: number; fallback_calls: number }[];
  };
  expect(doc.ok).toBe(true);
  expect(doc.threads).toEqual({ tf_intra_op: 1, tf_inter_op: 1, tvm: 1 });
  expect(doc.clusters.map((c) => c.cluster)).toEqual(['cluster_0']);
  expect(doc.clusters[0]!.max_rel_err).toBeLessThanOrEqual(1e-5);
  positive(doc.clusters[0]!.tf_ms);
  positive(doc.clusters[0]!.tvm_ms);
  expect(doc.clusters[0]!.fallback_calls).toBe(0);

  const bad = await execa(tc.python, [script, '--model', fixture('conv_mlp'), '--out', out, '--clusters', 'nope'], {
    env: tc.env(),
    reject: false,
    stdin: 'ignore',
  });
  expect(bad.exitCode).toBe(2);
  expect(String(bad.stderr)).toContain('no compiled cluster named nope');
});

test('cluster_timing.py: the timing graph carries the native function, so a call TVM cannot run falls back', async () => {
  const tc = await findToolchain();
  const dir = projectPath('backends', 'tf');
  // The bridge node's timing graph holds its native_func (and only what it needs) ...
  const check = `
import sys
sys.path.insert(0, sys.argv[1])
import cluster_timing as ct
m = ct.Model(sys.argv[2], sys.argv[3])
b = m.bridges["cluster_0"]
tin, shapes, tout = ct.bridge_signature(b, "clusters/cluster_0/1x28x28x1.so")
gd, _, _ = ct.bridge_graph(b, tin, shapes, tout, m.rewritten.library)
print(b.attr["native_func"].func.name, [f.signature.name for f in gd.library.function])`;
  const r = await execa(tc.python, ['-c', check, dir, fixture('conv_mlp'), out], { env: tc.env(), reject: false, stdin: 'ignore' });
  expect(String(r.stderr).slice(-1500)).not.toMatch(/Traceback/);
  expect(String(r.stdout).trim()).toBe("tf2tvm_cluster_0_native ['tf2tvm_cluster_0_native']");
  // ... and runs it: every TVM run made to fail, the timed calls fall back and agree with TF.
  const script = path.join(dir, 'cluster_timing.py');
  const args = [script, '--model', fixture('conv_mlp'), '--out', out, '--runs', '2', '--warmup', '0', '--threads', '1', '--quiet'];
  const f = await execa(tc.python, args, { env: { ...tc.env(), TF2TVM_TEST_FAIL_RUN: 'cluster_0' }, reject: false, stdin: 'ignore' });
  expect({ exitCode: f.exitCode, stderr: String(f.stderr).slice(-1500) }).toMatchObject({ exitCode: 0 });
  const doc = JSON.parse(String(f.stdout)) as { ok: boolean; clusters: { max_rel_err: number; fallback_calls: number; error?: string }[] };
  expect(doc.clusters[0]!.error).toBeUndefined();
  expect(doc.ok).toBe(true);
  expect(doc.clusters[0]!.max_rel_err).toBeLessThanOrEqual(1e-5);
  // The check call and the 2 timed calls.
  expect(doc.clusters[0]!.fallback_calls).toBe(3);
});

test('tf2tvm profile: every fused operator of the artifact timed, shares that add up', async () => {
  const { r, doc } = await tf2tvmJson<ProfileReport>(['profile', out, '--runs', '2', '--top', '50']);
  expect(r.exitCode).toBe(0);
  expect(doc.ok).toBe(true);
  expect(doc.artifacts.map((a) => [a.cluster, a.shapes, a.path])).toEqual([['cluster_0', '1x28x28x1', 'clusters/cluster_0/1x28x28x1.so']]);
  const a = doc.artifacts[0]!;
  positive(a.total_ms);
  // conv_mlp's two convolutions (bias and ReLU fused in) and its dense product are there.
  const convs = a.ops!.filter((op) => /conv2d_NCHWc_add_nn_relu/.test(op.name!));
  expect(convs).toHaveLength(2);
  expect(a.ops!.some((op) => /dense/.test(op.name!))).toBe(true);
  // With --top above the count, ops and groups each cover the whole run.
  const sum = (xs: { ms: number; share: number }[]): [number, number] => [xs.reduce((s, x) => s + x.ms, 0), xs.reduce((s, x) => s + x.share, 0)];
  for (const list of [a.ops!, a.groups!]) {
    const [ms, share] = sum(list);
    expect(ms).toBeCloseTo(a.total_ms!, 6);
    expect(share).toBeCloseTo(1, 6);
  }
  expect(a.groups!.find((g) => g.kind === 'nn_contrib_conv2d_NCHWc_add_nn_relu')).toMatchObject({ calls: 2 });
  const text = await tf2tvm(['profile', out, '--runs', '1']);
  expect(text.exitCode).toBe(0);
  expect(text.stdout).toMatch(/^cluster_0 1x28x28x1: [\d.]+ ms on one thread$/m);
  const bad = await tf2tvm(['profile', work, '--json']);
  expect(bad.exitCode).toBe(1);
  expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'TF2TVM1015' } });
});

test('scripts/bench-models prints one table row per model, with both builds', async () => {
  const r = await execa(projectPath('scripts', 'bench-models'), ['--runs', '2', '--min-time', '0', 'conv_mlp'], { reject: false, stdin: 'ignore' });
  expect(r.exitCode).toBe(0);
  const out = String(r.stdout);
  expect(out).toMatch(/threads: TF intra-op \d+, inter-op 1, TVM \d+; 2 runs after 3 warm-up, interleaved/);
  expect(out).toMatch(/^\| model \| TF \| TF\+XLA \| x TF \| tf2tvm \| x TF \| max rel err \| measured: kept \| TF \| tf2tvm \| x TF \|$/m);
  // conv_mlp: medians, ratios, its error against TF, and how many clusters measured selection kept.
  expect(out).toMatch(
    /^\| conv_mlp \| [\d.]+ \| [\d.]+ \| [\d.]+x \| [\d.]+ \| [\d.]+x \| \d\.\de-\d+ \| \d\/[1-5](?: \(split\))? \| [\d.]+ \| [\d.]+ \| [\d.]+x \|$/m,
  );
  expect(out).toMatch(/^ {2}conv_mlp +cluster_0 +1x28x28x1 +TF +[\d.]+ ms +TVM +[\d.]+ ms +[\d.]+x$/m);
});
