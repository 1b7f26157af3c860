// Winograd convolutions (backends/tvm/x86_winograd.py): the 3x3 stride-1
// convolutions the rule picks are built as Winograd F(4x4, 3x3) (seen in the
// profile of the built library), match TensorFlow within the real-model
// tolerance, and `--disable-opt winograd` builds them directly. The graph is
// crafted where tiles do not fit: batch 2, odd output sizes (the last tiles run
// past the edge), SAME, VALID and asymmetric EXPLICIT padding, residual adds
// fused into the output transform, output channels that are not a multiple of
// 16; and two convolutions left direct: one by the rule (too few input
// channels), one whose filter is a run-time input (it would be transformed at
// every call).

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGraphDef, encodeTensor, makeAttr, makeConst, makeGraphDef, makeNode, type AttrValue, type NodeDef } from '../../ir/tf/graphdef/io.js';
import { tempDir, tf2tvmJson } from '../helpers.js';

const dir = tempDir();
const F32 = { T: makeAttr.type(1) };

function weights(name: string, shape: number[], seed: number): NodeDef {
  const n = shape.reduce((a, b) => a * b, 1);
  const scale = 1 / Math.sqrt(n / shape[3]!);
  return makeConst(
    name,
    encodeTensor(
      1,
      shape,
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * scale),
    ),
  );
}

function conv(name: string, input: string, w: string, padding: 'SAME' | 'VALID' | number[]): NodeDef {
  const pad: Record<string, AttrValue> = Array.isArray(padding)
    ? { padding: makeAttr.s('EXPLICIT'), explicit_paddings: makeAttr.listI(padding) }
    : { padding: makeAttr.s(padding) };
  return makeNode({ name, op: 'Conv2D', input: [input, w], attr: { ...F32, strides: makeAttr.listI([1, 1, 1, 1]), ...pad } });
}

/**
 * x [2, 19, 17, 64] -> relu(conv SAME 64->64) + x -> conv VALID 64->72 -> relu -> conv EXPLICIT 72->64
 * -> conv SAME 64->32 -> conv SAME 32->16 (direct: 32 in); and conv SAME 64->64 of the residual with
 * the filter f fed at run time (direct).
 */
function model(): string {
  const nodes: NodeDef[] = [
    makeNode({ name: 'x', op: 'Placeholder', attr: { dtype: makeAttr.type(1), shape: makeAttr.shape([2, 19, 17, 64]) } }),
    makeNode({ name: 'f', op: 'Placeholder', attr: { dtype: makeAttr.type(1), shape: makeAttr.shape([3, 3, 64, 64]) } }),
    weights('w1', [3, 3, 64, 64], 1),
    weights('w2', [3, 3, 64, 72], 2),
    weights('w3', [3, 3, 72, 64], 3),
    weights('w4', [3, 3, 64, 32], 4),
    weights('w5', [3, 3, 32, 16], 5),
    makeConst(
      'b1',
      encodeTensor(
        1,
        [64],
        Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) * 0.5),
      ),
    ),
    conv('c1', 'x', 'w1', 'SAME'),
    makeNode({ name: 'bias1', op: 'BiasAdd', input: ['c1', 'b1'], attr: F32 }),
    makeNode({ name: 'r1', op: 'Relu', input: ['bias1'], attr: F32 }),
    makeNode({ name: 'res', op: 'AddV2', input: ['r1', 'x'], attr: F32 }),
    conv('c2', 'res', 'w2', 'VALID'),
    makeNode({ name: 'r2', op: 'Relu', input: ['c2'], attr: F32 }),
    conv('c3', 'r2', 'w3', [0, 0, 2, 0, 0, 1, 0, 0]),
    conv('c4', 'c3', 'w4', 'SAME'),
    conv('c5', 'c4', 'w5', 'SAME'),
    makeNode({ name: 'y', op: 'Identity', input: ['c5'], attr: F32 }),
    conv('c6', 'res', 'f', 'SAME'),
    makeNode({ name: 'z', op: 'Identity', input: ['c6'], attr: F32 }),
  ];
  const p = path.join(dir, 'convs.pb');
  writeFileSync(p, encodeGraphDef(makeGraphDef({ node: nodes })));
  return p;
}

interface ProfileDoc {
  artifacts: { ops: { name: string; calls: number }[] }[];
}
interface VerifyDoc {
  ok: boolean;
}

async function build(out: string, extra: string[]): Promise<{ winograd: number; direct: number }> {
  const c = await tf2tvmJson<{ ok: boolean }>(['compile', modelPath, '-o', out, ...extra]);
  expect(c.r.exitCode).toBe(0);
  const v = await tf2tvmJson<VerifyDoc>(['verify', modelPath, out, '--rtol', '1e-4']);
  expect({ exit: v.r.exitCode, ok: v.doc.ok }).toEqual({ exit: 0, ok: true });
  const p = await tf2tvmJson<ProfileDoc>(['profile', out, '--runs', '1', '--top', '100']);
  expect(p.r.exitCode).toBe(0);
  const ops = p.doc.artifacts.flatMap((a) => a.ops);
  const calls = (re: RegExp) => ops.filter((o) => re.test(o.name)).reduce((n, o) => n + o.calls, 0);
  return { winograd: calls(/conv2d_winograd/), direct: calls(/conv2d_NCHWc/) };
}

const modelPath = model();

test('eligible 3x3 convolutions build as Winograd and match TensorFlow', async () => {
  expect(await build(path.join(dir, 'out'), [])).toEqual({ winograd: 4, direct: 2 });
}, 600_000);

test('--disable-opt winograd builds every convolution directly', async () => {
  expect(await build(path.join(dir, 'out-direct'), ['--disable-opt', 'winograd'])).toEqual({ winograd: 0, direct: 6 });
}, 600_000);

test('tune lists no task for a convolution Winograd builds', async () => {
  const db = path.join(dir, 'tuning.jsonl');
  const t = await tf2tvmJson<{ workloads: { workload: string }[] }>(['tune', modelPath, '--trials', '4', '--tuning-db', db]);
  expect(t.r.exitCode).toBe(0);
  // Only the 32->16 (too few input channels). The run-time filter's 64->64 is built directly but
  // shares its workload with the Winograd-built c1, so it gets no task either.
  const convs = t.doc.workloads.map((w) => w.workload).filter((w) => w.includes('conv2d'));
  const inOut = (w: string) => /\('TENSOR', \((\d+), (\d+), 3, 3\)/.exec(w)?.slice(1, 3).reverse().join('->');
  expect(convs.map(inOut)).toEqual(['32->16']);
}, 600_000);
