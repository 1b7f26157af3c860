// The bridge op's fallback to its cluster's TensorFlow subgraph on a real
// output folder: dynamic_batch compiled for batches 1 and 4, then
// test/runtime/fallback_test.py forces each fallback reason and compares with
// TensorFlow on the original graph. Also: the rewritten graph's function
// library as TensorFlow would serialise it, --no-fallback, and the shape log
// round trip (TF2TVM_SHAPE_LOG, then compile --shapes-from).

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../backends/python/toolchain.js';
import { readGraphDef } from '../../ir/tf/graphdef/io.js';
import { projectPath } from '../../ir/support/project.js';
import { fixture, tempDir, tf2tvmJson } from '../helpers.js';

const work = tempDir('tf2tvm-fallback-');
const script = projectPath('test', 'runtime', 'fallback_test.py');

async function compileTo(name: string, extra: string[] = []): Promise<string> {
  const out = path.join(work, name);
  const c = await tf2tvmJson<{ ok: boolean }>(['compile', fixture('dynamic_batch'), '-o', out, '--batch', '1,4', ...extra]);
  if (c.r.exitCode !== 0) throw new Error(`compile failed:\n${c.r.stderr}`);
  return out;
}

async function python(args: string[], env: Record<string, string> = {}): Promise<{ exitCode: number; out: string }> {
  const tc = await findToolchain();
  const r = await execa(tc.python, [script, ...args], { cwd: projectPath(), env: { ...tc.env(), ...env }, reject: false, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, out: `${String(r.stdout)}\n${String(r.stderr)}` };
}

let out: string;
beforeAll(async () => {
  out = await compileTo('out');
});

test('every fallback reason gives TensorFlow results; without fallback each fails naming the cluster', async () => {
  const r = await python([out, fixture('dynamic_batch'), 'reasons']);
  expect({ exitCode: r.exitCode, tail: r.out.split('\n').slice(-40).join('\n') }).toMatchObject({ exitCode: 0 });
  expect(r.out).toMatch(/(\d+) of \1 checks passed/);
  // Logged once per cluster and reason, through TensorFlow's log.
  for (const reason of ['no-artifact', 'missing', 'sha256', 'cpu-features', 'run-error']) {
    const lines = r.out.split('\n').filter((l) => l.includes(`cluster 'cluster_0': running its TensorFlow subgraph instead of TVM (${reason})`));
    expect(lines).toHaveLength(1);
  }
});

test('each bridge node names its function, written as TensorFlow writes it; --no-fallback writes none', async () => {
  const g = await readGraphDef(path.join(out, 'model.pb'));
  const bridge = g.node.find((n) => n.op === 'TF2TVMBridgeOp')!;
  expect(bridge.attr.native_func?.func?.name).toBe('tf2tvm_cluster_0_native');
  const fns = g.library?.function ?? [];
  expect(fns.map((f) => f.signature?.name)).toEqual(['tf2tvm_cluster_0_native']);
  expect(fns[0]!.signature!.input_arg.map((a) => a.name)).toEqual(['in0']);
  expect(Object.keys(fns[0]!.ret)).toEqual(['out0']);
  // TensorFlow parses it and re-serialises it (deterministically) to the same bytes.
  const tc = await findToolchain();
  const check = `
import sys, tensorflow as tf
b = open(sys.argv[1], 'rb').read()
g = tf.compat.v1.GraphDef(); g.ParseFromString(b)
assert g.SerializeToString(deterministic=True) == b, 'bytes differ'
print(len(g.library.function))`;
  const r = await execa(tc.python, ['-c', check, path.join(out, 'model.pb')], { env: { ...tc.env(), TF_CPP_MIN_LOG_LEVEL: '3' }, reject: false });
  expect(r.stderr.slice(-1500)).not.toMatch(/Traceback/);
  expect(String(r.stdout).trim()).toBe('1');

  const again = await compileTo('again');
  expect(readFileSync(path.join(again, 'model.pb')).equals(readFileSync(path.join(out, 'model.pb')))).toBe(true);
  const plain = await compileTo('plain', ['--no-fallback']);
  const p = await readGraphDef(path.join(plain, 'model.pb'));
  expect(p.library?.function ?? []).toHaveLength(0);
  expect(p.node.find((n) => n.op === 'TF2TVMBridgeOp')!.attr.native_func).toBeUndefined();
  const run = await python([plain, fixture('dynamic_batch'), 'run', '2', 'tvm']);
  expect(run.exitCode).not.toBe(0);
  expect(run.out).toMatch(/no compiled artifact for input shapes.*\(the node has no native_func/);
});

test('an unseen batch logged with TF2TVM_SHAPE_LOG and compiled with --shapes-from runs in TVM', async () => {
  const log = path.join(work, 'shapes.jsonl');
  const first = await python([out, fixture('dynamic_batch'), 'run', '3', 'fallback'], { TF2TVM_SHAPE_LOG: log });
  expect({ exitCode: first.exitCode, tail: first.out.slice(-1500) }).toMatchObject({ exitCode: 0 });
  expect(readFileSync(log, 'utf8')).toBe('{"cluster": "cluster_0", "inputs": [[3, 16, 16, 3]]}\n');
  const again = path.join(work, 'from-log');
  const c = await tf2tvmJson<{ clusters: { artifacts: { shapes: string }[] }[] }>([
    'compile',
    fixture('dynamic_batch'),
    '-o',
    again,
    '--batch',
    '1,4',
    '--shapes-from',
    log,
  ]);
  expect(c.r.exitCode).toBe(0);
  expect(c.doc.clusters[0]!.artifacts.map((a) => a.shapes)).toEqual(['1x16x16x3', '4x16x16x3', '3x16x16x3']);
  const second = await python([again, fixture('dynamic_batch'), 'run', '3', 'tvm'], { TF2TVM_SHAPE_LOG: log });
  expect({ exitCode: second.exitCode, tail: second.out.slice(-1500) }).toMatchObject({ exitCode: 0 });
  expect(second.out).not.toMatch(/instead of TVM/);

  const bad = path.join(work, 'bad.jsonl');
  writeFileSync(bad, '{"cluster": "cluster_0", "inputs": [[3, 16, 16, 3]]}\n{"cluster": "cluster_0", "inp');
  const r = await tf2tvmJson<{ ok: boolean; error?: { code: string } }>([
    'compile',
    fixture('dynamic_batch'),
    '-o',
    path.join(work, 'bad'),
    '--shapes-from',
    bad,
  ]);
  expect(r.r.exitCode).toBe(1);
  expect(`${r.r.stdout}${r.r.stderr}`).toMatch(/TF2TVM1021.*line 2: not JSON/);
});
