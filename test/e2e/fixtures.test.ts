// End to end on the bundled fixtures: compile with real TVM builds, then run
// the original and the rewritten graph in TensorFlow and compare (tf2tvm
// verify). Also: OUT relocates, and the summary is what the JSON says.

import { cpSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { readGraphDef } from '../../ir/tf/graphdef/io.js';
import { fixture, tempDir, tf2tvmJson } from '../helpers.js';

interface CompileDoc {
  ok: boolean;
  nodes: number;
  clustered_nodes: number;
  clusters: { name: string; nodes: string[]; artifacts: { shapes: string; path: string; status: string }[] }[];
  unclustered: { node: string; op: string; reason: string; message: string }[];
}
interface VerifyDoc {
  ok: boolean;
  outputs: { name: string; max_abs_err: number; max_rel_err: number }[];
}

const work = tempDir('tf2tvm-e2e-');

async function compileAndVerify(name: string, extra: string[] = []): Promise<{ compile: CompileDoc; verify: VerifyDoc; out: string }> {
  const out = path.join(work, name);
  const c = await tf2tvmJson<CompileDoc>(['compile', fixture(name), '-o', out, ...extra]);
  if (c.r.exitCode !== 0) throw new Error(`compile ${name} failed:\n${c.r.stderr}`);
  const v = await tf2tvmJson<VerifyDoc>(['verify', fixture(name), out]);
  if (v.r.exitCode !== 0) throw new Error(`verify ${name} failed:\n${v.r.stderr}`);
  return { compile: c.doc, verify: v.doc, out };
}

describe('conv_mlp end to end', () => {
  let result: Awaited<ReturnType<typeof compileAndVerify>>;
  beforeAll(async () => {
    result = await compileAndVerify('conv_mlp');
  });

  test('one cluster takes every compute node and verifies within 1e-5', () => {
    const { compile, verify } = result;
    expect(compile.ok).toBe(true);
    expect(compile.clusters).toHaveLength(1);
    const ops = new Set(compile.unclustered.map((u) => u.op));
    expect([...ops].sort()).toEqual(['Const', 'Placeholder']);
    expect(['built', 'cached']).toContain(compile.clusters[0]!.artifacts[0]!.status);
    expect(verify.ok).toBe(true);
    expect(verify.outputs.map((o) => o.name)).toEqual(['softmax:0']);
    for (const o of verify.outputs) expect(o.max_rel_err).toBeLessThanOrEqual(1e-5);
  });

  test('the rewritten graph holds one bridge op and no clustered node', async () => {
    const g = await readGraphDef(path.join(result.out, 'model.pb'));
    const byName = new Map(g.node.map((n) => [n.name, n]));
    expect(g.node.filter((n) => n.op === 'TF2TVMBridgeOp')).toHaveLength(1);
    for (const m of result.compile.clusters[0]!.nodes) {
      if (m === 'softmax') expect(byName.get(m)?.op).toBe('Identity');
      else expect(byName.has(m)).toBe(false);
    }
    // The weights live in the artifact: no Const node is left.
    expect(g.node.filter((n) => n.op === 'Const')).toHaveLength(0);
    const manifest = JSON.parse(readFileSync(path.join(result.out, 'manifest.json'), 'utf8')) as { clusters: { artifacts: { path: string }[] }[] };
    const art = manifest.clusters[0]!.artifacts[0]!.path;
    expect(existsSync(path.join(result.out, art))).toBe(true);
    expect(existsSync(path.join(result.out, 'runtime', 'libtf2tvm_op.so'))).toBe(true);
    expect(existsSync(path.join(result.out, 'runtime', 'libtvm_runtime.so'))).toBe(true);
  });

  test('compiling again gives byte-identical model.pb, manifest.json and Relay text', async () => {
    const again = path.join(tempDir('tf2tvm-again-'), 'out');
    const c = await tf2tvmJson<CompileDoc>(['compile', fixture('conv_mlp'), '-o', again]);
    expect(c.r.exitCode).toBe(0);
    const relay = path.join('clusters', 'cluster_0', '1x28x28x1.relay');
    for (const f of ['model.pb', 'manifest.json', relay]) {
      expect(readFileSync(path.join(again, f)).equals(readFileSync(path.join(result.out, f)))).toBe(true);
    }
  });

  test('a copy of OUT elsewhere runs through the loader and through TF2TVM_ARTIFACT_DIR', async () => {
    const moved = path.join(tempDir('tf2tvm-moved-'), 'out');
    cpSync(result.out, moved, { recursive: true });
    const v = await tf2tvmJson<VerifyDoc>(['verify', fixture('conv_mlp'), moved]);
    expect(v.doc.ok).toBe(true);
    const tc = await findToolchain();
    const script = `
import numpy as np, tensorflow as tf
tf.load_op_library(${JSON.stringify(path.join(moved, 'runtime', 'libtf2tvm_op.so'))})
gd = tf.compat.v1.GraphDef()
gd.ParseFromString(open(${JSON.stringify(path.join(moved, 'model.pb'))}, 'rb').read())
ref = tf.compat.v1.GraphDef()
ref.ParseFromString(open(${JSON.stringify(fixture('conv_mlp'))}, 'rb').read())
x = np.load(${JSON.stringify(path.join(path.dirname(fixture('conv_mlp')), 'inputs', '0.npy'))})
want = np.load(${JSON.stringify(path.join(path.dirname(fixture('conv_mlp')), 'outputs', '0.npy'))})
g = tf.Graph()
with g.as_default():
    tf.compat.v1.import_graph_def(gd, name='')
with tf.compat.v1.Session(graph=g) as s:
    got = s.run('softmax:0', {'x:0': x})
err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
print(err)
assert err <= 1e-5, err
`;
    const r = await execa(tc.python, ['-c', script], { env: { ...tc.env(), TF2TVM_ARTIFACT_DIR: moved }, reject: false });
    expect(r.stderr.slice(-2000)).not.toMatch(/Traceback/);
    expect(r.exitCode).toBe(0);
  });
});

describe.each([
  ['two_io', [] as string[]],
  ['control_deps', []],
  ['while_loop', []],
  ['trap_diamond', []],
  ['dynamic_batch', ['--shapes', 'x=2x16x16x3']],
])('%s compiles and verifies', (name, extra) => {
  test('verify is within 1e-5 on every output', async () => {
    const { compile, verify } = await compileAndVerify(name, extra);
    expect(compile.clusters.length).toBeGreaterThan(0);
    expect(verify.ok).toBe(true);
    expect(verify.outputs.length).toBeGreaterThan(0);
    for (const o of verify.outputs) expect(o.max_rel_err).toBeLessThanOrEqual(1e-5);
    // Every node left out has a reason code.
    for (const u of compile.unclustered) expect(u.reason).toMatch(/^[a-z-]+$/);
  });
});
