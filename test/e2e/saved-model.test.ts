// A SavedModel in, a SavedModel out: a model with two signatures (none of
// them serving_default), dict outputs and a dynamic batch compiles for one
// named signature; OUT/saved_model, moved elsewhere, serves the same
// signature through the bridge op (no fallback at the compiled batches, the
// fallback function at another) and matches the original within 1e-5;
// verify takes the SavedModel; bad signatures and tags are refused.

import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain, type Toolchain } from '../../backends/python/toolchain.js';
import { projectPath } from '../../ir/support/project.js';
import { tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

const work = tempDir('tf2tvm-savedmodel-');
const model = path.join(work, 'saved_model');
let tc: Toolchain;

/** sha256 of every file under `dir`, by relative path. */
function treeHash(dir: string): string {
  const h = createHash('sha256');
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(path.relative(dir, p)).update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** Runs a Python snippet in the toolchain with `cwd`; its last stdout line as JSON. */
async function python<T>(code: string, cwd: string, env: Record<string, string> = {}): Promise<T> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF2TVM_'))) as Record<string, string>;
  const r = await execa(tc.python, ['-c', code], { cwd, env: { ...base, ...tc.env({ threads: 1 }), ...env }, extendEnv: false, reject: false });
  if (r.exitCode !== 0) throw new Error(`python exited ${r.exitCode}:\n${String(r.stderr).split('\n').slice(-25).join('\n')}`);
  const lines = String(r.stdout).trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

beforeAll(async () => {
  tc = await findToolchain();
  const r = await execa(tc.python, [projectPath('fixtures', 'generate_formats.py'), '--out', work, '--only', 'saved_model'], { reject: false });
  if (r.exitCode !== 0) throw new Error(String(r.stderr));
});

describe('compile refuses', () => {
  test('a SavedModel with several signatures and none named, listing them', async () => {
    const out = path.join(work, 'refused');
    const r = await tf2tvm(['compile', model, '-o', out, '--batch', '1']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error TF2TVM1060');
    expect(r.stderr).toContain('(signatures: other, predict)');
    expect(existsSync(out)).toBe(false);
  });

  test('an unknown signature, and tags no MetaGraph has', async () => {
    const out = path.join(work, 'refused');
    const sig = await tf2tvmJson<{ ok: boolean; error: { code: string; message: string } }>(['compile', model, '-o', out, '--signature', 'nope']);
    expect(sig.r.exitCode).toBe(1);
    expect(sig.doc.error.code).toBe('TF2TVM1061');
    expect(sig.doc.error.message).toContain("no signature 'nope' (signatures: other, predict)");
    const tags = await tf2tvmJson<{ ok: boolean; error: { code: string; message: string } }>([
      'compile',
      model,
      '-o',
      out,
      '--signature',
      'predict',
      '--tags',
      'gpu',
    ]);
    expect(tags.r.exitCode).toBe(1);
    expect(tags.doc.error.code).toBe('TF2TVM1062');
    expect(tags.doc.error.message).toContain('(tag sets: serve)');
    expect(existsSync(out)).toBe(false);
  });

  test('verify of a SavedModel against an output compiled from a GraphDef (no OUT/saved_model)', async () => {
    const out = path.join(work, 'from-graphdef');
    const c = await tf2tvm(['compile', projectPath('fixtures', 'models', 'conv_mlp', 'model.pb'), '-o', out]);
    expect(c.exitCode).toBe(0);
    const v = await tf2tvmJson<{ ok: boolean; error: { code: string; message: string } }>(['verify', model, out, '--signature', 'predict']);
    expect(v.r.exitCode).toBe(1);
    expect(v.doc.error.code).toBe('TF2TVM1067');
    expect(v.doc.error.message).toBe(`${out} holds no saved_model/: it was compiled from a GraphDef, not a SavedModel`);
  });

  test('--signature for a model that is not a SavedModel', async () => {
    const r = await tf2tvm([
      'compile',
      projectPath('fixtures', 'models', 'conv_mlp', 'model.pb'),
      '-o',
      path.join(work, 'x'),
      '--signature',
      'predict',
    ]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('error TF2TVM1066');
  });
});

describe('SavedModel in, SavedModel out', () => {
  const out = path.join(work, 'out');
  const moved = path.join(work, 'elsewhere', 'served');
  let before: string;
  let compileDoc: { ok: boolean; clusters: { name: string }[] };

  beforeAll(async () => {
    before = treeHash(model);
    const c = await tf2tvmJson<typeof compileDoc>(['compile', model, '-o', out, '--signature', 'predict', '--batch', '1,4']);
    if (c.r.exitCode !== 0) throw new Error(c.r.stderr);
    compileDoc = c.doc;
  });

  test('writes OUT/saved_model beside OUT/model.pb, artifacts as assets, and leaves the input alone', () => {
    expect(compileDoc.ok).toBe(true);
    expect(compileDoc.clusters.length).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'model.pb'))).toBe(true);
    expect(existsSync(path.join(out, 'saved_model', 'saved_model.pb'))).toBe(true);
    expect(existsSync(path.join(out, 'saved_model', 'assets', 'tf2tvm_artifacts.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
      source: { format: string; signature: string; inputs: { key: string }[]; outputs: { key: string }[] };
      clusters: { artifacts: { path: string; sha256: string }[] }[];
    };
    expect(manifest.source.format).toBe('saved_model');
    expect(manifest.source.signature).toBe('predict');
    expect(manifest.source.inputs.map((x) => x.key)).toEqual(['bias', 'image']);
    expect(manifest.source.outputs.map((x) => x.key)).toEqual(['logits', 'probs']);
    const artifacts = manifest.clusters.flatMap((c) => c.artifacts);
    expect(artifacts).toHaveLength(2 * compileDoc.clusters.length);
    for (const a of artifacts) {
      const asset = readFileSync(path.join(out, 'saved_model', 'assets', a.path));
      expect(createHash('sha256').update(asset).digest('hex')).toBe(a.sha256);
    }
    expect(treeHash(model)).toBe(before);
  });

  test('verify compares the SavedModel with OUT/saved_model, output key by key', async () => {
    const v = await tf2tvmJson<{ ok: boolean; shape_sets: { key: string; outputs: { name: string; max_rel_err: number }[] }[] }>([
      'verify',
      model,
      out,
    ]);
    expect(v.r.exitCode).toBe(0);
    expect(v.doc.ok).toBe(true);
    expect(v.doc.shape_sets).toHaveLength(2);
    for (const s of v.doc.shape_sets) {
      expect(s.outputs.map((o) => o.name)).toEqual(['logits', 'probs']);
      for (const o of s.outputs) expect(o.max_rel_err).toBeLessThanOrEqual(1e-5);
    }
  });

  test('bench takes the SavedModel: its frozen signature against OUT/model.pb, the graph OUT/saved_model serves', async () => {
    const b = await tf2tvmJson<{ ok: boolean; model: string; outputs: string[]; shape_sets: { key: string; max_rel_err?: unknown }[] }>([
      'bench',
      model,
      out,
      '--runs',
      '2',
      '--warmup',
      '0',
      '--no-clusters',
    ]);
    expect(b.r.exitCode).toBe(0);
    expect(b.doc.ok).toBe(true);
    expect(b.doc.model).toBe(model);
    expect(b.doc.shape_sets.map((s) => s.key).sort()).toEqual(['1x10_1x16x16x3', '4x10_4x16x16x3']);
  });

  test('moved elsewhere, it serves the same signature through the bridge op and matches the original', async () => {
    mkdirSync(path.dirname(moved));
    renameSync(out, moved);
    const code = `
import json, os, sys
import numpy as np
import tensorflow as tf
sys.path.insert(0, os.path.join(${JSON.stringify(moved)}, "runtime"))
import tf2tvm_runtime
tf2tvm_runtime.load_op_library()
original = tf.saved_model.load(${JSON.stringify(model)}).signatures["predict"]
served = tf.saved_model.load(os.path.join(${JSON.stringify(moved)}, "saved_model"))
fn = served.signatures["predict"]
doc = {"signatures": sorted(served.signatures.keys()),
       "inputs": sorted(fn.structured_input_signature[1].keys()),
       "input_shapes": {k: v.shape.as_list() for k, v in fn.structured_input_signature[1].items()},
       "outputs": sorted(fn.structured_outputs.keys()), "runs": []}
rng = np.random.default_rng(5)
for batch in [1, 4, 3]:
    x = {"image": tf.constant(rng.standard_normal((batch, 16, 16, 3)).astype(np.float32)),
         "bias": tf.constant(rng.standard_normal((batch, 10)).astype(np.float32))}
    want, got = original(**x), fn(**x)
    errs = {k: float(np.max(np.abs(got[k].numpy() - want[k].numpy())) / np.max(np.abs(want[k].numpy()))) for k in want}
    spread = float(np.std(want["logits"].numpy()))
    doc["runs"].append({"batch": batch, "errs": errs, "spread": spread, "fallbacks": tf2tvm_runtime.fallback_counts()})
print(json.dumps(doc))
`;
    const doc = await python<{
      signatures: string[];
      inputs: string[];
      input_shapes: Record<string, (number | null)[]>;
      outputs: string[];
      runs: { batch: number; errs: Record<string, number>; spread: number; fallbacks: Record<string, Record<string, number>> }[];
    }>(code, path.dirname(moved));
    expect(existsSync(out)).toBe(false);
    expect(doc.signatures).toEqual(['predict']);
    expect(doc.inputs).toEqual(['bias', 'image']);
    expect(doc.input_shapes).toEqual({ bias: [null, 10], image: [null, 16, 16, 3] });
    expect(doc.outputs).toEqual(['logits', 'probs']);
    const [b1, b4, b3] = doc.runs;
    for (const run of doc.runs) {
      expect(run.spread).toBeGreaterThan(0.1); // outputs vary with the inputs
      for (const e of Object.values(run.errs)) expect(e).toBeLessThanOrEqual(1e-5);
    }
    // Batches 1 and 4 ran the artifacts (found through the moved assets), batch 3 the fallback function.
    expect(b1!.fallbacks).toEqual({});
    expect(b4!.fallbacks).toEqual({});
    expect(Object.values(b3!.fallbacks).map((r) => Object.keys(r))).toEqual(compileDoc.clusters.map(() => ['no-artifact']));
  });

  test('OUT/runtime/saved_model_cli runs the moved OUT/saved_model through the bridge op (no fallback)', async () => {
    const io = path.join(work, 'cli-io');
    mkdirSync(io, { recursive: true });
    await python(
      `
import numpy as np
rng = np.random.default_rng(9)
np.save("image.npy", rng.standard_normal((4, 16, 16, 3)).astype(np.float32))
np.save("bias.npy", rng.standard_normal((4, 10)).astype(np.float32))
print("null")
`,
      io,
    );
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TF2TVM_'))) as Record<string, string>;
    const r = await execa(
      path.join(moved, 'runtime', 'saved_model_cli'),
      [
        'run',
        '--dir',
        path.join(moved, 'saved_model'),
        '--tag_set',
        'serve',
        '--signature_def',
        'predict',
        '--inputs',
        'image=image.npy;bias=bias.npy',
        '--outdir',
        'got',
      ],
      {
        cwd: io,
        extendEnv: false,
        env: { ...env, ...tc.env({ threads: 1 }), PATH: `${path.dirname(tc.python)}:${process.env.PATH ?? ''}`, TF2TVM_FALLBACK: '0' },
        reject: false,
      },
    );
    if (r.exitCode !== 0) throw new Error(String(r.stderr).split('\n').slice(-20).join('\n'));
    const errs = await python<Record<string, number>>(
      `
import json
import numpy as np
import tensorflow as tf
want = tf.saved_model.load(${JSON.stringify(model)}).signatures["predict"](image=tf.constant(np.load("image.npy")), bias=tf.constant(np.load("bias.npy")))
print(json.dumps({k: float(np.max(np.abs(np.load(f"got/{k}.npy") - v.numpy())) / np.max(np.abs(v.numpy()))) for k, v in want.items()}))
`,
      io,
    );
    expect(Object.keys(errs).sort()).toEqual(['logits', 'probs']);
    for (const e of Object.values(errs)) expect(e).toBeLessThanOrEqual(1e-5);
  });

  test('a Triton-style model folder (the SavedModel and the op library) runs in a fresh process that has only what the folder holds', async () => {
    const repo = path.join(work, 'repo');
    const folder = path.join(repo, 'classifier');
    mkdirSync(path.join(folder, '1'), { recursive: true });
    cpSync(path.join(moved, 'saved_model'), path.join(folder, '1', 'model.savedmodel'), { recursive: true });
    for (const f of ['libtf2tvm_op.so', 'libtvm_runtime.so']) copyFileSync(path.join(moved, 'runtime', f), path.join(folder, f));
    writeFileSync(
      path.join(folder, 'config.pbtxt'),
      'name: "classifier"\nplatform: "tensorflow_savedmodel"\nmodel_operations { op_library_filename: "libtf2tvm_op.so" }\n',
    );
    // The expected numbers, from the original SavedModel, kept outside the folder.
    const io = path.join(work, 'triton-io');
    mkdirSync(io);
    await python(
      `
import numpy as np
import tensorflow as tf
rng = np.random.default_rng(13)
x = {"image": rng.standard_normal((4, 16, 16, 3)).astype(np.float32), "bias": rng.standard_normal((4, 10)).astype(np.float32)}
want = tf.saved_model.load(${JSON.stringify(model)}).signatures["predict"](**{k: tf.constant(v) for k, v in x.items()})
for k, v in {**x, **{f"want_{k}": v.numpy() for k, v in want.items()}}.items():
    np.save(f"{k}.npy", v)
print("null")
`,
      io,
    );
    // Only the folder remains of the compile output, and it moves once more.
    rmSync(moved, { recursive: true });
    const served = path.join(work, 'deployed', 'classifier');
    mkdirSync(path.dirname(served));
    renameSync(folder, served);
    const code = `
import json, os, re, sys
import numpy as np
import tensorflow as tf
config = open("config.pbtxt").read()
library = re.search(r'op_library_filename: "([^"]+)"', config).group(1)
tf.load_op_library(os.path.abspath(library))
fn = tf.saved_model.load("1/model.savedmodel").signatures["predict"]
io = sys.argv[1]
got = fn(image=tf.constant(np.load(f"{io}/image.npy")), bias=tf.constant(np.load(f"{io}/bias.npy")))
print(json.dumps({k: float(np.max(np.abs(v.numpy() - np.load(f"{io}/want_{k}.npy"))) / np.max(np.abs(np.load(f"{io}/want_{k}.npy")))) for k, v in got.items()}))
`;
    const r = await execa(tc.python, ['-c', code, io], {
      cwd: served,
      extendEnv: false,
      env: { PATH: '/usr/bin:/bin', HOME: served, TF_CPP_MIN_LOG_LEVEL: '2', TF2TVM_FALLBACK: '0' },
      reject: false,
    });
    if (r.exitCode !== 0) throw new Error(String(r.stderr).split('\n').slice(-20).join('\n'));
    const errs = JSON.parse(String(r.stdout).trim().split('\n').pop() ?? '{}') as Record<string, number>;
    expect(Object.keys(errs).sort()).toEqual(['logits', 'probs']);
    for (const e of Object.values(errs)) expect(e).toBeLessThanOrEqual(1e-5);
  });
});
