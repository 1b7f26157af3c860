// Text GraphDefs and Keras files in: a .pbtxt is read as strictly as a .pb
// (an unknown field is refused), compiles and verifies, and --emit-pbtxt
// writes the rewritten graph as text that reads back to OUT/model.pb; a
// .keras and an .h5 file are frozen with the batch left open, compile for
// two batch sizes, verify, and the rewritten graph agrees with Keras's own
// predictions.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, type Toolchain } from '../../backends/python/toolchain.js';
import { readGraphDef } from '../../ir/tf/graphdef/io.js';
import { projectPath } from '../../ir/support/project.js';
import { prepareModel } from '../../src/model-input.js';
import { fixture, tempDir, tf2tvmJson } from '../helpers.js';

const work = tempDir('tf2tvm-formats-');
let tc: Toolchain;

interface CompileDoc {
  ok: boolean;
  clusters: { name: string }[];
  error?: { code: string; message: string };
}
interface VerifyDoc {
  ok: boolean;
  shape_sets: { key: string; outputs: { name: string; max_rel_err: number }[] }[];
}

beforeAll(async () => {
  tc = await findToolchain();
  const r = await execa(tc.python, [projectPath('fixtures', 'generate_formats.py'), '--out', work, '--only', 'keras,pbtxt'], { reject: false });
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
});

describe('text GraphDef', () => {
  const out = path.join(work, 'pbtxt-out');

  test('reads as the same graph as the binary it was printed from', async () => {
    const m = await prepareModel(path.join(work, 'model.pbtxt'));
    try {
      expect(m.format).toBe('pbtxt');
      expect(await readGraphDef(m.graph)).toEqual(await readGraphDef(fixture('two_io')));
    } finally {
      m.dispose();
    }
    expect(existsSync(m.graph)).toBe(false);
  });

  test('a field TensorFlow does not define is refused with TF2TVM1065, and nothing is written', async () => {
    const bad = path.join(work, 'unknown-field.pbtxt');
    writeFileSync(bad, readFileSync(path.join(work, 'model.pbtxt'), 'utf8').replace('op: "Placeholder"', 'op: "Placeholder"\n  colour: 3'));
    const c = await tf2tvmJson<CompileDoc>(['compile', bad, '-o', path.join(work, 'never')]);
    expect(c.r.exitCode).toBe(1);
    expect(c.doc.error?.code).toBe('TF2TVM1065');
    expect(c.doc.error?.message).toContain('colour');
    expect(existsSync(path.join(work, 'never'))).toBe(false);
  });

  test("the binary reader's checks apply to what the text holds: a node without a name is refused against the .pbtxt", async () => {
    const bad = path.join(work, 'nameless.pbtxt');
    writeFileSync(bad, readFileSync(path.join(work, 'model.pbtxt'), 'utf8').replace('name: "a"', 'name: ""'));
    const c = await tf2tvmJson<CompileDoc>(['compile', bad, '-o', path.join(work, 'never')]);
    expect(c.r.exitCode).toBe(1);
    expect(c.doc.error?.code).toBe('TF2TVM1065');
    expect(c.doc.error?.message).toBe(`not a text-format TensorFlow GraphDef: ${bad} (node 0 has no name)`);
  });

  test('compiles, verifies, and --emit-pbtxt writes the rewritten graph as text', async () => {
    const c = await tf2tvmJson<CompileDoc>(['compile', path.join(work, 'model.pbtxt'), '-o', out, '--emit-pbtxt']);
    if (c.r.exitCode !== 0) throw new Error(c.r.stderr);
    expect(c.doc.clusters.length).toBeGreaterThan(0);
    const v = await tf2tvmJson<VerifyDoc>(['verify', path.join(work, 'model.pbtxt'), out]);
    expect(v.r.exitCode).toBe(0);
    expect(v.doc.ok).toBe(true);
    expect(v.doc.shape_sets[0]!.outputs.map((o) => o.name)).toEqual(['y1:0', 'y2:0']);
    const text = readFileSync(path.join(out, 'model.pbtxt'), 'utf8');
    expect(text).toContain('op: "TF2TVMBridgeOp"');
    const back = await prepareModel(path.join(out, 'model.pbtxt'));
    try {
      expect(await readGraphDef(back.graph)).toEqual(await readGraphDef(path.join(out, 'model.pb')));
    } finally {
      back.dispose();
    }
  });
});

describe.each(['model.keras', 'model.h5'])('Keras file %s', (file) => {
  const out = path.join(work, `${file}-out`);

  test('compiles for two batch sizes (the batch left open), verifies, and agrees with Keras', async () => {
    const model = path.join(work, file);
    const c = await tf2tvmJson<CompileDoc>(['compile', model, '-o', out, '--batch', '1,3']);
    if (c.r.exitCode !== 0) throw new Error(c.r.stderr);
    expect(c.doc.clusters.length).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      source: { format: string; inputs: { key: string; shape: number[] }[] };
    };
    expect(manifest.source.format).toBe('keras');
    expect(manifest.source.inputs.map((x) => [x.key, x.shape])).toEqual([['pixels', [-1, 8, 8, 3]]]);
    const v = await tf2tvmJson<VerifyDoc>(['verify', model, out]);
    expect(v.r.exitCode).toBe(0);
    expect(v.doc.shape_sets).toHaveLength(2);
    for (const s of v.doc.shape_sets) for (const o of s.outputs) expect(o.max_rel_err).toBeLessThanOrEqual(1e-5);
    // Keras's own numbers against the rewritten graph, at a compiled batch, through the bridge op only.
    const code = `
import json, os, sys
import numpy as np
import keras
import tensorflow as tf
sys.path.insert(0, os.path.join(sys.argv[2], "runtime"))
import tf2tvm_runtime
manifest = json.load(open(os.path.join(sys.argv[2], "manifest.json")))
src = manifest["source"]
x = np.random.default_rng(3).standard_normal((3, 8, 8, 3)).astype(np.float32)
want = keras.models.load_model(sys.argv[1], compile=False)(x).numpy()
g = tf.Graph()
with g.as_default():
    tf.compat.v1.import_graph_def(tf2tvm_runtime.load(sys.argv[2]), name="")
with tf.compat.v1.Session(graph=g) as s:
    got = s.run(src["outputs"][0]["tensor"], {src["inputs"][0]["placeholder"] + ":0": x})
print(json.dumps({"err": float(np.max(np.abs(got - want)) / np.max(np.abs(want))), "spread": float(np.std(want)), "fallbacks": tf2tvm_runtime.fallback_counts()}))
`;
    const r = await execa(tc.python, ['-c', code, model, out], { reject: false, env: { ...tc.env({ threads: 1 }), TF2TVM_FALLBACK: '0' } });
    if (r.exitCode !== 0) throw new Error(String(r.stderr).split('\n').slice(-20).join('\n'));
    const doc = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '{}') as { err: number; spread: number; fallbacks: object };
    expect(doc.spread).toBeGreaterThan(0.01);
    expect(doc.err).toBeLessThanOrEqual(1e-5);
    expect(doc.fallbacks).toEqual({});
  });
});
