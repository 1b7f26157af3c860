// The coverage yardstick (ir/tf/coverage.ts): TVM v0.14's op map, the ops
// left out and why, and what mark-for-compilation does with a left-out op.

import { EXCLUDED, EXCLUSIONS, TARGET_OPS, TVM_LATER_OPS, TVM_V014_MAP } from '../../../ir/tf/coverage.js';
import { OPS } from '../../../ir/tf/ops/index.js';
import { coverage } from '../../../src/docs.js';
import { attr, DT, G } from '../helpers.js';

test("the map has the 178 distinct names of TVM v0.14's _convert_map", () => {
  expect(TVM_V014_MAP).toHaveLength(178);
  expect(new Set(TVM_V014_MAP).size).toBe(178);
  // Spot checks both ways: names of the map, and later names that are not in it.
  for (const op of ['GatherV2', 'Conv2DBackpropInput', 'TopKV2', 'LSTMBlockCell', 'ZerosLike']) expect(TVM_V014_MAP).toContain(op);
  for (const op of [...TVM_LATER_OPS, 'BatchMatMulV3', 'MaxPoolV2', 'Const']) expect(TVM_V014_MAP).not.toContain(op);
});

test('31 exclusions, each once, each a name of the map, each with a reason and what it would take', () => {
  const ops = EXCLUSIONS.flatMap((e) => e.ops);
  expect(ops).toHaveLength(31);
  expect(new Set(ops).size).toBe(31);
  for (const op of ops) expect(TVM_V014_MAP).toContain(op);
  for (const e of EXCLUSIONS) {
    expect(e.why.length).toBeGreaterThan(20);
    expect(e.takes.length).toBeGreaterThan(10);
  }
  expect(TARGET_OPS).toHaveLength(147 + 2);
  expect(TARGET_OPS).toEqual(expect.arrayContaining(['Cumsum', 'Cumprod']));
});

test('no excluded op has a lowering, and the coverage figure counts compiled and folded target ops', () => {
  for (const op of EXCLUDED.keys()) expect(OPS.get(op)?.lower).toBeUndefined();
  const c = coverage();
  expect(c.compiled.length + c.folded.length + c.missing.length).toBe(c.target);
  for (const op of c.compiled) expect(OPS.get(op)?.lower).toBeDefined();
  for (const op of c.folded) expect([op, OPS.get(op)?.lower, typeof OPS.get(op)?.fold]).toEqual([op, undefined, 'function']);
  expect(c.folded).toEqual(expect.arrayContaining(['Shape', 'Range']));
  for (const op of c.beyond) expect(TARGET_OPS).not.toContain(op);
  expect(c.beyond).toContain('BatchMatMulV3');
});

test('an excluded op stays in TensorFlow with needs-vm, another unknown op with unsupported-op', () => {
  const g = new G();
  const x = g.ph('x', [5], DT.float);
  g.op('u', 'Unique', [x], { T: attr.type(DT.float), out_idx: attr.type(DT.int32) });
  g.op('w', 'Where', [x], { T: attr.type(DT.float) });
  g.op('z', 'NoSuchOp', [x]);
  const a = g.analyze();
  expect(a.mark('u')).toMatchObject({ ok: false, reason: 'needs-vm' });
  expect(a.mark('w')).toMatchObject({ ok: false, reason: 'needs-vm' });
  expect(a.mark('z')).toMatchObject({ ok: false, reason: 'unsupported-op' });
});
