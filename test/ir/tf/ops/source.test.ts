// The source table (ir/tf/ops/source.ts): Const folds to its value and never
// joins a cluster; Identity and its kin pass types and constants through and
// lower to no code.

import { encodeTensor } from '../../../../ir/tf/graphdef/io.js';
import { sourceOps } from '../../../../ir/tf/ops/source.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

test('Const folds to its value and stays in TensorFlow as a weight source', () => {
  const g = new G();
  g.const('c', [2, 2], [1, 2, 3, 4], DT.int32);
  const a = g.analyze();
  expect(a.types('c').outputs[0]).toEqual({ dtype: 'int32', shape: [2, 2] });
  expect(values(a.value('c'))).toEqual([1, 2, 3, 4]);
  expect(a.mark('c')).toMatchObject({ ok: false, reason: 'constant' });
});

test.each(['Identity', 'StopGradient', 'PreventGradient', 'Snapshot'])(
  '%s passes its input through: no code, not effective, constants kept',
  (op) => {
    const g = new G();
    g.op('i', op, [g.ph('x', [2, 3])]);
    g.op('r', 'Relu', ['i']);
    g.op('ic', op, [g.const('c', [2], [5, 6], DT.int32)], { T: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.shape('i')).toEqual([2, 3]);
    expect(a.mark('i')).toMatchObject({ ok: true, effective: false });
    expect(a.instrs('i')).toEqual([]);
    expect(values(a.value('ic'))).toEqual([5, 6]);
  },
);

test('IdentityN passes every input through', () => {
  const g = new G();
  g.op('n', 'IdentityN', [g.ph('x', [2]), g.ph('y', [3, 4], DT.int32)], { T: attr.listType([DT.float, DT.int32]) });
  const a = g.analyze();
  expect(a.types('n').outputs).toEqual([
    { dtype: 'float32', shape: [2] },
    { dtype: 'int32', shape: [3, 4] },
  ]);
});

test('Fill folds a constant value and broadcasts a run-time one; Range folds as TensorFlow accumulates', () => {
  const g = new G();
  const dims = g.const('dims', [2], [2, 3], DT.int32);
  g.op('f', 'Fill', [dims, g.const('v', [], [1.5])]);
  g.op('fr', 'Fill', [dims, g.ph('pv', [])]);
  g.op('r', 'Range', [g.const('s', [], [3], DT.int32), g.const('l', [], [-4], DT.int32), g.const('d', [], [-3], DT.int32)], {
    Tidx: attr.type(DT.int32),
  });
  g.op('rf', 'Range', [g.const('sf', [], [0]), g.const('lf', [], [1]), g.const('df', [], [0.1])], { Tidx: attr.type(DT.float) });
  g.op('z', 'ZerosLike', [g.ph('x', [2, 2], DT.int32)], { T: attr.type(DT.int32) });
  const a = g.analyze();
  expect(values(a.value('f'))).toEqual([1.5, 1.5, 1.5, 1.5, 1.5, 1.5]);
  expect(a.kinds('fr')).toEqual(['broadcast_to']);
  expect(values(a.value('r'))).toEqual([3, 0, -3]);
  // ten steps of float32 0.1 added in float32 (ceil(1 / 0.1) = 10 elements)
  const want: number[] = [];
  for (let i = 0, acc = 0; i < 10; i++, acc = Math.fround(acc + Math.fround(0.1))) want.push(acc);
  expect(values(a.value('rf'))).toEqual(want);
  expect(a.instrs('z').map((i) => i.op)).toEqual([{ kind: 'fill_like', args: [expect.any(Number)], value: 0 }]);
});

test('NoOp lowers to no code; between two members it joins their cluster instead of splitting it', () => {
  const g = new G();
  const a = g.op('a', 'Relu', [g.ph('x', [2, 3])]);
  const n = g.op('n', 'NoOp', [`^${a}`], {});
  g.op('b', 'Tanh', [a, `^${n}`]);
  g.op('lone', 'NoOp', [], {});
  const r = g.analyze();
  expect(r.types('n').outputs).toEqual([]);
  expect(r.mark('n')).toMatchObject({ ok: true, effective: false });
  expect(r.state.clusters).toHaveLength(1);
  expect(r.state.clusters[0]!.nodes).toEqual(['a', 'n', 'b']);
  expect(r.instrs('n')).toEqual([]);
  // A NoOp nothing absorbs is a cluster of no code: it stays in TensorFlow.
  expect(r.clustered('lone')).toBe(false);
});

refusalContract(sourceOps, {
  Fill: {
    'dims with a zero (an empty tensor)': (g) => g.op('f', 'Fill', [g.const('d', [2], [0, 3], DT.int32), g.ph('v', [])]),
    'a value that is not a scalar': (g) => g.op('f', 'Fill', [g.const('d', [2], [2, 3], DT.int32), g.ph('v', [1])]),
  },
  Range: {
    'a zero delta, or one pointing away from the limit': (g) =>
      g.op('r', 'Range', [g.const('s', [], [0], DT.int32), g.const('l', [], [5], DT.int32), g.const('d', [], [-1], DT.int32)], {
        Tidx: attr.type(DT.int32),
      }),
    'an empty range': (g) =>
      g.op('r', 'Range', [g.const('s', [], [2], DT.int32), g.const('l', [], [2], DT.int32), g.const('d', [], [1], DT.int32)], {
        Tidx: attr.type(DT.int32),
      }),
  },
  Const: {
    'a constant of a dtype the IR lacks (left untyped, so its readers stay in TensorFlow too)': (g) =>
      g.op('s', 'Const', [], { dtype: attr.type(7), value: attr.tensor(encodeTensor(7, [], ['text'])) }),
  },
});
const identity =
  (op: string) =>
  (g: G, dt: number): string =>
    g.op('i', op, [g.ph('x', [2, 3], dt)], { T: attr.type(dt) });
dtypeContract(sourceOps, {
  NoOp: (g) => g.op('n', 'NoOp', [`^${g.ph('x', [2])}`], {}),
  Identity: identity('Identity'),
  StopGradient: identity('StopGradient'),
  PreventGradient: identity('PreventGradient'),
  Snapshot: identity('Snapshot'),
  IdentityN: (g, dt) => g.op('i', 'IdentityN', [g.ph('x', [2, 3], dt)], { T: attr.listType([dt]) }),
  ZerosLike: identity('ZerosLike'),
  OnesLike: identity('OnesLike'),
  Fill: (g, dt) => g.op('f', 'Fill', [g.const('d', [2], [2, 3], DT.int32), g.ph('v', [], dt)], { T: attr.type(dt) }),
});
