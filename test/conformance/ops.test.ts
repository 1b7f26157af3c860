// Op conformance against TensorFlow: one tiny frozen graph per op and main
// attribute variant (fixtures/generate_ops.py), each compiled by the real CLI
// (`tf2tvm compile --policy all`), then every rewritten graph run next to its
// original in TensorFlow. A case passes when the op under test sits inside a
// cluster and every output matches within rtol 1e-5 (relative to max|output|).
//
// Cost on two cores is dominated by process starts, not by the tiny builds:
// `tf2tvm verify` would start one TensorFlow per case (~5 s each), so the
// outputs are compared by test/conformance/check_ops.py, one TensorFlow
// process for all cases. Compiles run two at a time, with a build cache of
// their own (content-addressed: a changed lowering changes the Relay text and
// so the key, and is rebuilt). TF2TVM_CONFORMANCE_FRESH=1 builds everything anew.
// Every case is also exported with --emit onnx, and its clusters run in ONNX
// Runtime against TensorFlow (backends/tf/onnx_check.py, one process for all).
//
// The graphs are generated once per version of generate_ops.py and of the
// toolchain pins, into the per-user cache (~/.cache/tf2tvm/ops/<key>/), shared by clones.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, toolchainLocation } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { tempDir, tf2tvmJson, userCache, type CliResult } from '../helpers.js';
import { defaultCacheDir } from '../../src/cache.js';

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

const script = projectPath('fixtures', 'generate_ops.py');
const key = createHash('sha256').update(readFileSync(script)).update(toolchainLocation().key).digest('hex').slice(0, 16);
const casesDir = userCache('ops', key);

/** Generates the cases unless this version of the script already did (atomically: another run may race). */
async function ensureCases(): Promise<void> {
  if (existsSync(path.join(casesDir, '.complete'))) {
    const now = new Date();
    utimesSync(casesDir, now, now); // in use: see the clean-up below
    return;
  }
  const tc = await findToolchain();
  const tmp = `${casesDir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const r = await execa(tc.python, [script, '--out', tmp], { env: tc.env(), reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`generate_ops.py failed (${r.exitCode}):\n${String(r.stderr).slice(-3000)}`);
  writeFileSync(path.join(tmp, '.complete'), `${key}\n`);
  mkdirSync(path.dirname(casesDir), { recursive: true });
  try {
    renameSync(tmp, casesDir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // someone else finished first
  }
  // Cases of other script versions are dead weight once nobody uses them: another
  // checkout on this machine may be running its own version right now, so only
  // folders untouched for a week go.
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const old of readdirSync(path.dirname(casesDir))) {
    const dir = path.join(path.dirname(casesDir), old);
    if (/^[0-9a-f]{16}$/.test(old) && old !== key && statSync(dir).mtimeMs < weekAgo) rmSync(dir, { recursive: true, force: true });
  }
}

await ensureCases();
// TF2TVM_CONFORMANCE_ONLY=a,b runs those cases only (while working on an op).
const only = process.env.TF2TVM_CONFORMANCE_ONLY?.split(',').filter(Boolean);
const names = readdirSync(casesDir)
  .filter((n) => existsSync(path.join(casesDir, n, 'meta.json')) && (!only || only.includes(n)))
  .sort();
const metas = new Map(names.map((n) => [n, JSON.parse(readFileSync(path.join(casesDir, n, 'meta.json'), 'utf8')) as Meta]));

const work = tempDir('tf2tvm-ops-');
const buildCache = process.env.TF2TVM_CONFORMANCE_FRESH === '1' ? path.join(work, 'build-cache') : defaultCacheDir();
const compiled = new Map<string, { r: CliResult; doc: CompileDoc | undefined }>();
let checked: Record<string, CheckReport> = {};
interface OnnxCase {
  ok: boolean;
  error?: string;
  clusters: { cluster: string; shapes: string; ok: boolean; outputs: { name: string; max_rel_err: number | null }[] }[];
}
let onnxChecked: Record<string, OnnxCase> = {};
/** ONNX Runtime's kernels are not TensorFlow's either: its agreement is checked at this tolerance at least. */
const ONNX_RTOL = 1e-4;
const seconds: Record<string, number> = {};

async function compileCase(name: string): Promise<void> {
  const args = [
    'compile',
    path.join(casesDir, name, 'model.pb'),
    '-o',
    path.join(work, name),
    '--policy',
    'all',
    '--emit',
    'onnx',
    '-j',
    '1',
    '--cache-dir',
    buildCache,
  ];
  try {
    const { r, doc } = await tf2tvmJson<CompileDoc>(args);
    compiled.set(name, { r, doc });
  } catch (e) {
    compiled.set(name, { r: { exitCode: -1, stdout: '', stderr: (e as Error).message }, doc: undefined });
  }
}

beforeAll(async () => {
  const t0 = performance.now();
  const queue = [...names];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let n = queue.shift(); n !== undefined; n = queue.shift()) await compileCase(n);
    }),
  );
  seconds.compile = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const ok = names.filter((n) => compiled.get(n)?.r.exitCode === 0);
  const tc = await findToolchain();
  const req = { cases: ok.map((n) => ({ name: n, case_dir: path.join(casesDir, n), out: path.join(work, n) })) };
  const r = await execa(tc.python, [projectPath('test', 'conformance', 'check_ops.py')], {
    env: tc.env(),
    input: JSON.stringify(req),
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(`check_ops.py failed (${r.exitCode}):\n${String(r.stderr).slice(-3000)}`);
  checked = JSON.parse(String(r.stdout)) as Record<string, CheckReport>;
  seconds.check = (performance.now() - t1) / 1000;

  const t2 = performance.now();
  const onnxCases = ok.map((n) => ({
    name: n,
    model: path.join(casesDir, n, 'model.pb'),
    out: path.join(work, n),
    rtol: Math.max(metas.get(n)!.rtol ?? DEFAULT_RTOL, ONNX_RTOL),
  }));
  const o = await execa(tc.python, [projectPath('backends', 'tf', 'onnx_check.py'), '--cases', JSON.stringify(onnxCases)], {
    env: tc.env({ threads: 1 }),
    reject: false,
  });
  if (o.exitCode !== 0) throw new Error(`onnx_check.py failed (${o.exitCode}):\n${String(o.stderr).slice(-3000)}`);
  onnxChecked = (JSON.parse(String(o.stdout)) as { cases: Record<string, OnnxCase> }).cases;
  seconds.onnx = (performance.now() - t2) / 1000;
  process.stderr.write(
    `op conformance: ${names.length} cases, compile ${seconds.compile.toFixed(0)} s, check ${seconds.check.toFixed(0)} s (cases in ${casesDir})\n`,
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
  const name = 'einsum_mha_scores_aecd_abcd';
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

describe.each(names)('%s', (name) => {
  const meta = metas.get(name)!;

  test('compiles with every op under test inside a built cluster', () => {
    const c = compiled.get(name)!;
    if (c.r.exitCode !== 0) throw new Error(`compile exited ${c.r.exitCode}:\n${c.r.stderr.slice(-2000)}`);
    const doc = c.doc!;
    const members = new Set(doc.clusters.flatMap((k) => k.nodes));
    for (const op of meta.ops) {
      const why = doc.unclustered.find((u) => u.node === op);
      expect([op, why ? `${why.reason}: ${why.message}` : 'clustered']).toEqual([op, 'clustered']);
      expect(members.has(op)).toBe(true);
    }
    for (const k of doc.clusters) for (const a of k.artifacts) expect(['built', 'cached']).toContain(a.status);
  });

  test(`its clusters exported to ONNX run in ONNX Runtime within rtol ${Math.max(meta.rtol ?? DEFAULT_RTOL, ONNX_RTOL)} of TensorFlow`, () => {
    const c = compiled.get(name)!;
    const rep = onnxChecked[name];
    expect(rep).toBeDefined();
    expect(rep!.error).toBeUndefined();
    const artifacts = c.doc!.clusters.reduce((n, k) => n + k.artifacts.length, 0);
    // A cluster ONNX cannot express is left out with TF2TVM3110, saying why.
    const declined = c.r.stderr.split('\n').filter((l) => l.includes('TF2TVM3110'));
    for (const l of declined) expect(l).toMatch(/is not exported to ONNX: SYMMETRIC padding/);
    expect(rep!.clusters.length).toBe(artifacts - declined.length);
    for (const k of rep!.clusters) {
      for (const o of k.outputs)
        expect([k.cluster, o.name, o.max_rel_err !== null && o.max_rel_err <= Math.max(meta.rtol ?? DEFAULT_RTOL, ONNX_RTOL)]).toEqual([
          k.cluster,
          o.name,
          true,
        ]);
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
