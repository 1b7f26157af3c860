// compile --emit onnx on every bundled fixture: each kept cluster's function
// per shape set becomes OUT/clusters/<cluster>/<shape-key>.onnx (opset 18,
// IR version 8, weights as initializers), which ONNX Runtime runs on the
// tensors TensorFlow feeds the cluster in the original graph, matching
// TensorFlow's outputs of the cluster (backends/tf/onnx_check.py).

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import onnxProto from 'onnx-proto';
import { findToolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { fixture, tempDir, tf2tvmJson } from '../helpers.js';

const work = tempDir('tf2tvm-onnx-');
const FIXTURES: [string, string[]][] = [
  ['conv_mlp', []],
  ['dynamic_batch', ['--batch', '1,3']],
  ['two_io', ['--policy', 'all']],
  ['control_deps', ['--policy', 'all']],
  ['trap_diamond', ['--policy', 'all']],
  ['while_loop', ['--policy', 'all']],
];

interface Check {
  ok: boolean;
  onnxruntime: string;
  cases: Record<
    string,
    {
      ok: boolean;
      error?: string;
      clusters: { cluster: string; shapes: string; path: string; ok: boolean; outputs: { name: string; max_rel_err: number }[] }[];
    }
  >;
}
let check: Check;
const exported = new Map<string, string[]>();

beforeAll(async () => {
  for (const [name, extra] of FIXTURES) {
    const out = path.join(work, name);
    const c = await tf2tvmJson<{ ok: boolean }>(['compile', fixture(name), '-o', out, '--emit', 'onnx', ...extra]);
    if (c.r.exitCode !== 0) throw new Error(`compile ${name}:\n${c.r.stderr}`);
    exported.set(
      name,
      readdirSync(path.join(out, 'clusters'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.onnx')),
    );
  }
  const tc = await findToolchain();
  const cases = FIXTURES.map(([name]) => ({ name, model: fixture(name), out: path.join(work, name) }));
  const r = await execa(tc.python, [projectPath('backends', 'tf', 'onnx_check.py'), '--cases', JSON.stringify(cases), '--rtol', '1e-5'], {
    env: tc.env({ threads: 1 }),
    reject: false,
  });
  if (r.exitCode !== 0) throw new Error(String(r.stderr).slice(-3000));
  check = JSON.parse(String(r.stdout)) as Check;
});

test('every cluster of every compiled shape set is exported, and its model says opset 18, IR version 8', () => {
  expect(exported.get('dynamic_batch')!.sort()).toEqual(['cluster_0/1x16x16x3.onnx', 'cluster_0/3x16x16x3.onnx']);
  for (const [name] of FIXTURES) {
    const manifest = JSON.parse(readFileSync(path.join(work, name, 'manifest.json'), 'utf8')) as {
      clusters: { name: string; artifacts: { path: string }[] }[];
    };
    const artifacts = manifest.clusters.flatMap((c) => c.artifacts.map((a) => a.path.replace(/^clusters\//, '').replace(/\.so$/, '.onnx')));
    expect(exported.get(name)!.sort()).toEqual(artifacts.sort());
  }
  const model = onnxProto.onnx.ModelProto.toObject(
    onnxProto.onnx.ModelProto.decode(readFileSync(path.join(work, 'conv_mlp', 'clusters', 'cluster_0', '1x28x28x1.onnx'))),
    { longs: Number, defaults: true },
  ) as {
    irVersion: number;
    opsetImport: { domain: string; version: number }[];
    graph: { initializer: { dims: number[] }[]; input: { name: string }[]; output: { name: string }[] };
  };
  expect(model.irVersion).toBe(8);
  expect(model.opsetImport.map((o) => [o.domain, o.version])).toEqual([['', 18]]);
  // Weights are initializers: the conv kernels (HWIO as in TensorFlow), biases and the dense weight.
  expect(model.graph.initializer.filter((t) => t.dims.length === 4).map((t) => t.dims)).toEqual([
    [3, 3, 1, 8],
    [3, 3, 8, 16],
  ]);
  expect(model.graph.input.map((i) => i.name)).toEqual(['in0']);
  expect(model.graph.output.map((o) => o.name)).toEqual(['out0']);
});

test('ONNX Runtime runs every exported cluster within 1e-5 of TensorFlow', () => {
  expect(check.onnxruntime).toBe('1.32.0');
  for (const [name] of FIXTURES) {
    const c = check.cases[name]!;
    expect(c.error).toBeUndefined();
    expect(c.clusters.map((x) => `${x.cluster}/${x.shapes}.onnx`).sort()).toEqual(exported.get(name)!.sort());
    for (const x of c.clusters)
      for (const o of x.outputs)
        expect({ name, cluster: x.cluster, output: o.name, err: o.max_rel_err <= 1e-5 }).toEqual({
          name,
          cluster: x.cluster,
          output: o.name,
          err: true,
        });
  }
  expect(check.ok).toBe(true);
});
