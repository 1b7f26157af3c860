// Op conformance against TensorFlow: one tiny frozen graph per op and main
// attribute variant (fixtures/generate_ops.py), compiled by the real CLI
// (`tf2tvm compile --policy all`), then every rewritten graph run next to its
// original in TensorFlow. A case passes when the op under test sits inside a
// cluster and every output matches within rtol 1e-5 (relative to max|output|).
//
// Cost on two cores is dominated by process starts, not by the tiny builds:
// so cases are joined into batch graphs of BATCH_SIZE (batches.ts), one
// `tf2tvm compile` (one TVM build worker) per batch, and the outputs are
// compared by test/conformance/check_ops.py, one TensorFlow process for all
// batches (`tf2tvm verify` would start one per case, ~5 s each). Compiles
// run two at a time, with the build cache (content-addressed per cluster: a
// changed lowering changes the Relay text and so the key, and is rebuilt;
// a case's cluster has the same key in any batch). TF2TVM_CONFORMANCE_FRESH=1
// builds everything anew.
// Every batch is also exported with --emit onnx, and its clusters run in ONNX
// Runtime against TensorFlow (backends/tf/onnx_check.py, one process for all).
//
// The graphs are generated once per version of generate_ops.py and of the
// toolchain pins, into the per-user cache (~/.cache/tf2tvm/ops/<key>/), shared by clones.

import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { tempDir, tf2tvmJson, type CliResult } from '../helpers.js';
import { defaultCacheDir } from '../../src/cache.js';
import { batchesOf, joinCases, producerOf } from './batches.js';
import { casesDir, ensureCases } from './cases.js';

interface Meta {
  name: string;
  inputs: { name: string; dtype: string; shape: number[] }[];
  outputs: string[];
  ops: string[];
  rtol?: number;
  why?: string;
}
interface CompileDoc {
  ok: boolean;
  clusters: { name: string; nodes: string[]; artifacts: { status: string }[] }[];
  unclustered: { node: string; op: string; reason: string; message: string }[];
}
interface OutputReport {
  name: string;
  ok: boolean;
  max_abs_err?: number;
  max_rel_err?: number;
  error?: string;
}
interface CheckReport {
  ok: boolean;
  error?: string;
  bridge_ops?: number;
  outputs?: OutputReport[];
}

const DEFAULT_RTOL = 1e-5;
const CONCURRENCY = 2;

await ensureCases();
// TF2TVM_CONFORMANCE_ONLY=a,b runs those cases only (while working on an op).
const only = process.env.TF2TVM_CONFORMANCE_ONLY?.split(',').filter(Boolean);
const names = readdirSync(casesDir)
  .filter((n) => existsSync(path.join(casesDir, n, 'meta.json')) && (!only || only.includes(n)))
  .sort();
const metas = new Map(names.map((n) => [n, JSON.parse(readFileSync(path.join(casesDir, n, 'meta.json'), 'utf8')) as Meta]));

const work = tempDir('tf2tvm-ops-');
const buildCache = process.env.TF2TVM_CONFORMANCE_FRESH === '1' ? path.join(work, 'build-cache') : defaultCacheDir();
/** A batch graph: its cases, the joined model and the compile output folder. */
interface Batch {
  readonly id: string;
  readonly cases: readonly string[];
  readonly model: string;
  readonly out: string;
}
const batches: Batch[] = batchesOf(names, (n) => producerOf(path.join(casesDir, n, 'model.pb'))).map((cases, i) => {
  const id = `batch${String(i).padStart(3, '0')}`;
  return { id, cases, model: path.join(work, `${id}.pb`), out: path.join(work, id) };
});
const batchOf = new Map(batches.flatMap((b) => b.cases.map((n) => [n, b] as const)));
const compiled = new Map<string, { r: CliResult; doc: CompileDoc | undefined }>();
let checked: Record<string, CheckReport> = {};
interface OnnxReport {
  ok: boolean;
  error?: string;
  /** A cluster's own error (ONNX Runtime could not load or run its model): that cluster's case fails, no other. */
  clusters: { cluster: string; shapes: string; ok: boolean; error?: string; outputs: { name: string; max_rel_err: number | null }[] }[];
}
/** Per batch (and the verify case): its exported clusters run in ONNX Runtime. */
let onnxChecked: Record<string, OnnxReport> = {};
/** ONNX Runtime's kernels are not TensorFlow's either: its agreement is checked at this tolerance at least. */
const ONNX_RTOL = 1e-4;
const seconds: Record<string, number> = {};

async function compile(id: string, model: string, out: string): Promise<void> {
  const args = ['compile', model, '-o', out, '--policy', 'all', '--emit', 'onnx', '-j', '1', '--cache-dir', buildCache];
  try {
    const { r, doc } = await tf2tvmJson<CompileDoc>(args);
    compiled.set(id, { r, doc });
  } catch (e) {
    compiled.set(id, { r: { exitCode: -1, stdout: '', stderr: (e as Error).message }, doc: undefined });
  }
}

/** The case the CLI verify test compiles alone (as users would), next to its batch. */
const VERIFY_CASE = 'einsum_mha_scores_aecd_abcd';

beforeAll(async () => {
  const t0 = performance.now();
  for (const b of batches) writeFileSync(b.model, joinCases(b.cases.map((name) => ({ name, model: path.join(casesDir, name, 'model.pb') }))));
  const queue: (() => Promise<void>)[] = batches.map((b) => () => compile(b.id, b.model, b.out));
  if (names.includes(VERIFY_CASE)) queue.push(() => compile(VERIFY_CASE, path.join(casesDir, VERIFY_CASE, 'model.pb'), path.join(work, VERIFY_CASE)));
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await job();
    }),
  );
  seconds.compile = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const ok = batches.filter((b) => compiled.get(b.id)?.r.exitCode === 0);
  const tc = await findToolchain();
  const req = {
    batches: ok.map((b) => ({ model: b.model, out: b.out, cases: b.cases.map((n) => ({ name: n, case_dir: path.join(casesDir, n) })) })),
  };
  const r = await execa(tc.python, [projectPath('test', 'conformance', 'check_ops.py')], {
    env: tc.env(),
    input: JSON.stringify(req),
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`check_ops.py failed (${r.exitCode}):\n${String(r.stderr).slice(-3000)}`);
  checked = JSON.parse(String(r.stdout)) as Record<string, CheckReport>;
  seconds.check = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  // Each case is checked at its own tolerance below; the script's own verdict uses the loosest of the batch.
  const rtolOf = (n: string): number => Math.max(metas.get(n)!.rtol ?? DEFAULT_RTOL, ONNX_RTOL);
  const onnxCases = ok.map((b) => ({ name: b.id, model: b.model, out: b.out, rtol: Math.max(...b.cases.map(rtolOf)) }));
  const o = await execa(tc.python, [projectPath('backends', 'tf', 'onnx_check.py'), '--cases', JSON.stringify(onnxCases)], {
    env: tc.env({ threads: 1 }),
    reject: false,
  });
  if (o.exitCode !== 0) throw new Error(`onnx_check.py failed (${o.exitCode}):\n${String(o.stderr).slice(-3000)}`);
  onnxChecked = (JSON.parse(String(o.stdout)) as { cases: Record<string, OnnxReport> }).cases;
  seconds.onnx = (performance.now() - t2) / 1000;
  process.stderr.write(
    `op conformance: ${names.length} cases in ${batches.length} batches, compile ${seconds.compile.toFixed(0)} s, check ${seconds.check.toFixed(0)} s, ONNX ${seconds.onnx.toFixed(0)} s (cases in ${casesDir})\n`,
  );
}, 3_600_000);

test('the generator wrote a case for every op family', () => {
  if (only) return;
  const ops = new Set(names.map((n) => n.split('_')[0]));
  for (const family of ['conv2d', 'depthwise', 'matmul', 'batch', 'einsum', 'fused', 'max', 'avg', 'mean', 'strided', 'pad', 'mirror']) {
    expect(ops).toContain(family);
  }
  expect(names.length).toBeGreaterThanOrEqual(60);
});

test('the CLI verify agrees on one case (its own random inputs, one TensorFlow process)', async () => {
  // check_ops.py stands in for `tf2tvm verify` on every case; this keeps the two honest.
  const name = VERIFY_CASE;
  if (only && !only.includes(name)) return;
  expect(compiled.get(name)?.r.exitCode).toBe(0);
  const v = await tf2tvmJson<{ ok: boolean; outputs: { name: string; max_rel_err: number }[] }>([
    'verify',
    path.join(casesDir, name, 'model.pb'),
    path.join(work, name),
  ]);
  expect(v.r.exitCode).toBe(0);
  expect(v.doc.outputs.map((o) => o.name)).toEqual(metas.get(name)!.outputs);
  for (const o of v.doc.outputs) expect(o.max_rel_err).toBeLessThanOrEqual(DEFAULT_RTOL);
});

test('a Cast between compiled ops does not split their cluster', () => {
  const name = 'cast_inside_cluster';
  if (only && !only.includes(name)) return;
  const doc = compiled.get(batchOf.get(name)!.id)!.doc!;
  const mine = doc.clusters.filter((k) => k.nodes.some((n) => n.startsWith(`${name}/`)));
  expect(mine).toHaveLength(1);
  for (const op of metas.get(name)!.ops) expect(mine[0]!.nodes).toContain(`${name}/${op}`);
});

describe.each(names)('%s', (name) => {
  const meta = metas.get(name)!;

  test('compiles with every op under test inside a built cluster', () => {
    const c = compiled.get(batchOf.get(name)!.id)!;
    if (c.r.exitCode !== 0) throw new Error(`compile of its batch exited ${c.r.exitCode}:\n${c.r.stderr.slice(-2000)}`);
    const doc = c.doc!;
    const prefix = `${name}/`;
    const mine = doc.clusters.filter((k) => k.nodes.some((n) => n.startsWith(prefix)));
    // Batches join independent graphs: a cluster never mixes two cases.
    for (const k of mine) expect(k.nodes.filter((n) => !n.startsWith(prefix))).toEqual([]);
    const members = new Set(mine.flatMap((k) => k.nodes));
    for (const op of meta.ops) {
      const why = doc.unclustered.find((u) => u.node === prefix + op);
      expect([op, why ? `${why.reason}: ${why.message}` : 'clustered']).toEqual([op, 'clustered']);
      expect(members.has(prefix + op)).toBe(true);
    }
    for (const k of mine) for (const a of k.artifacts) expect(['built', 'cached']).toContain(a.status);
  });

  test(`its clusters exported to ONNX run in ONNX Runtime within rtol ${Math.max(meta.rtol ?? DEFAULT_RTOL, ONNX_RTOL)} of TensorFlow`, () => {
    const batch = batchOf.get(name)!;
    const c = compiled.get(batch.id)!;
    const rep = onnxChecked[batch.id];
    expect(rep).toBeDefined();
    expect(rep!.error).toBeUndefined();
    const mine = new Set(c.doc!.clusters.filter((k) => k.nodes.some((n) => n.startsWith(`${name}/`))).map((k) => k.name));
    const artifacts = c.doc!.clusters.filter((k) => mine.has(k.name)).reduce((n, k) => n + k.artifacts.length, 0);
    // A cluster ONNX cannot express is left out with TF2TVM3110, saying why.
    const declined = c.r.stderr.split('\n').filter((l) => l.includes('TF2TVM3110') && [...mine].some((k) => l.includes(`'${k}'`)));
    for (const l of declined)
      expect(l).toMatch(
        /is not exported to ONNX: (SYMMETRIC padding|.* has no ONNX lowering yet|(bfloat16|int16) tensors|a (float16|bfloat16) scalar constant)/,
      );
    const exported = rep!.clusters.filter((k) => mine.has(k.cluster));
    expect(exported.length).toBe(artifacts - declined.length);
    const rtol = Math.max(meta.rtol ?? DEFAULT_RTOL, ONNX_RTOL);
    for (const k of exported) {
      expect([k.cluster, k.error]).toEqual([k.cluster, undefined]);
      for (const o of k.outputs) expect([k.cluster, o.name, o.max_rel_err !== null && o.max_rel_err <= rtol]).toEqual([k.cluster, o.name, true]);
    }
  });

  test(`matches TensorFlow within rtol ${meta.rtol ?? DEFAULT_RTOL}`, () => {
    const rep = checked[name];
    expect(rep).toBeDefined();
    expect(rep!.error).toBeUndefined();
    expect(rep!.bridge_ops).toBeGreaterThan(0);
    expect(rep!.outputs!.map((o) => o.name)).toEqual(meta.outputs);
    for (const o of rep!.outputs!) {
      expect([o.name, o.ok, o.error]).toEqual([o.name, true, undefined]);
      expect(o.max_rel_err).toBeLessThanOrEqual(meta.rtol ?? DEFAULT_RTOL);
    }
  });
});

afterAll(() => {
  // Per-case errors, for the report: fixtures/cache/ops/<key>/last-run.json.
  const rows = names.map((n) => ({ name: n, max_rel_err: Math.max(...(checked[n]?.outputs ?? []).map((o) => o.max_rel_err ?? Infinity)) }));
  writeFileSync(path.join(casesDir, 'last-run.json'), JSON.stringify({ seconds, rows }, null, 2) + '\n');
  // Outputs of a failing run stay for a look (the path is in the summary line).
  if (names.every((n) => checked[n]?.ok)) rmSync(work, { recursive: true, force: true });
  else process.stderr.write(`op conformance: outputs kept in ${work}\n`);
});
