// The gather table (ir/tf/ops/gather.ts): Gather/GatherV2 (axis, negative
// batch_dims) and their folds, GatherNd, OneHot, TopKV2 (two outputs, cast
// indices), ArgMax/ArgMin.

import { gatherOps } from '../../../../ir/tf/ops/gather.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

const gv2 = (g: G, p: number[], i: number[], axis: number, batchDims = 0, dt: number = DT.float, it: number = DT.int32): string =>
  g.op('y', 'GatherV2', [g.ph('p', p, dt), g.ph('i', i, it), g.const('axis', [], [axis], DT.int32)], {
    Tparams: attr.type(dt),
    Tindices: attr.type(it),
    Taxis: attr.type(DT.int32),
    batch_dims: attr.i(batchDims),
  });

test.each([
  [[5, 4], [3], 0, 0, [3, 4]],
  [[5, 4], [2, 3], -1, 0, [5, 2, 3]],
  [[2, 5, 4], [2, 3], 1, 1, [2, 3, 4]],
  [[2, 5, 4], [2, 3], 2, -1, [2, 5, 3]],
] as const)('GatherV2 of %j by %j on axis %i, batch_dims %i -> %j', (p, i, axis, bd, out) => {
  const g = new G();
  gv2(g, [...p], [...i], axis, bd);
  const a = g.analyze();
  expect(a.shape('y')).toEqual(out);
  expect(a.instrs('y')[0]?.op).toMatchObject({ kind: 'take', axis: axis < 0 ? axis + p.length : axis, batchDims: bd < 0 ? bd + i.length : bd });
});

test('a Gather of a constant (a Shape) folds', () => {
  const g = new G();
  g.op('y', 'GatherV2', [g.const('p', [3], [7, 8, 9], DT.int32), g.const('i', [2], [2, 0], DT.int32), g.const('ax', [], [0], DT.int32)], {
    Tparams: attr.type(DT.int32),
  });
  expect(values(g.analyze().value('y'))).toEqual([9, 7]);
});

test('TopKV2 gives values and int32 indices; ArgMax int64 by default; OneHot inserts the depth axis', () => {
  const g = new G();
  g.op('t', 'TopKV2', [g.ph('x', [2, 6]), g.const('k', [], [3], DT.int32)]);
  g.op('am', 'ArgMax', [g.ph('y', [2, 6]), g.const('d', [], [-1], DT.int32)]);
  g.op('oh', 'OneHot', [g.ph('i', [2, 3], DT.int32), g.const('depth', [], [4], DT.int32), g.ph('on', []), g.ph('off', [])], { axis: attr.i(1) });
  const a = g.analyze();
  expect(a.types('t').outputs).toEqual([
    { dtype: 'float32', shape: [2, 3] },
    { dtype: 'int32', shape: [2, 3] },
  ]);
  expect(a.types('am').outputs[0]).toEqual({ dtype: 'int64', shape: [2] });
  expect(a.shape('oh')).toEqual([2, 4, 3]);
});

test('UnravelIndex divides by each stride and takes the remainder, stacked first', () => {
  const g = new G();
  g.op('u', 'UnravelIndex', [g.ph('i', [5], DT.int32), g.const('dims', [3], [2, 3, 4], DT.int32)], { Tidx: attr.type(DT.int32) });
  const a = g.analyze();
  expect(a.types('u').outputs[0]).toEqual({ dtype: 'int32', shape: [3, 5] });
  expect(a.kinds('u').filter((k) => k !== 'stack')).toEqual(Array.from({ length: 3 }, () => ['binary.floor_div', 'binary.floor_mod']).flat());
});

refusalContract(gatherOps, {
  UnravelIndex: {
    'indices of rank above 1': (g) => g.op('u', 'UnravelIndex', [g.ph('i', [2, 2], DT.int32), g.const('d', [2], [2, 3], DT.int32)]),
    'dims that are not positive sizes': (g) => g.op('u', 'UnravelIndex', [g.ph('i', [2], DT.int32), g.const('d', [2], [0, 3], DT.int32)]),
  },
  Gather: { 'indices of a dtype other than int32 or int64': (g) => g.op('y', 'Gather', [g.ph('p', [3]), g.ph('i', [2], DT.float)]) },
  GatherV2: {
    'indices of a dtype other than int32 or int64': (g) => gv2(g, [3], [2], 0, 0, DT.float, DT.float),
    'an axis out of range': (g) => gv2(g, [3], [2], 1),
    'batch_dims out of range or beyond the axis': (g) => gv2(g, [2, 3], [2], 0, 1),
    'batch dimensions of params and indices that differ': (g) => gv2(g, [2, 3], [3, 2], 1, 1),
  },
  GatherNd: {
    'indices of a dtype other than int32 or int64': (g) => g.op('y', 'GatherNd', [g.ph('p', [3]), g.ph('i', [2, 1], DT.double)]),
    'an index depth (last dimension of indices) of 0 or beyond the rank of params': (g) =>
      g.op('y', 'GatherNd', [g.ph('p', [3]), g.ph('i', [2, 2], DT.int32)]),
  },
  OneHot: {
    'indices of a dtype other than uint8, int32 or int64': (g) =>
      g.op('y', 'OneHot', [g.ph('i', [2], DT.float), g.const('d', [], [3], DT.int32), g.ph('on', []), g.ph('off', [])]),
    'a depth below 1 (an empty output)': (g) =>
      g.op('y', 'OneHot', [g.ph('i', [2], DT.int32), g.const('d', [], [0], DT.int32), g.ph('on', []), g.ph('off', [])]),
    'an axis out of range': (g) =>
      g.op('y', 'OneHot', [g.ph('i', [2], DT.int32), g.const('d', [], [3], DT.int32), g.ph('on', []), g.ph('off', [])], { axis: attr.i(3) }),
  },
  TopKV2: {
    'a scalar input': (g) => g.op('t', 'TopKV2', [g.ph('x', []), g.const('k', [], [1], DT.int32)]),
    'k below 1 or beyond the last dimension': (g) => g.op('t', 'TopKV2', [g.ph('x', [4]), g.const('k', [], [5], DT.int32)]),
    'sorted=false': (g) => g.op('t', 'TopKV2', [g.ph('x', [4]), g.const('k', [], [2], DT.int32)], { sorted: attr.b(false) }),
    'index_type other than int32 or int64': (g) =>
      g.op('t', 'TopKV2', [g.ph('x', [4]), g.const('k', [], [2], DT.int32)], { index_type: attr.type(DT.float) }),
  },
  ...Object.fromEntries(
    ['ArgMax', 'ArgMin'].map((op) => [
      op,
      {
        'a dimension out of range': (g: G) => g.op('a', op, [g.ph('x', [2, 3]), g.const('d', [], [2], DT.int32)]),
        'an empty dimension': (g: G) => g.op('a', op, [g.ph('x', [2, 0]), g.const('d', [], [1], DT.int32)]),
        'output_type other than int32 or int64': (g: G) =>
          g.op('a', op, [g.ph('x', [2, 3]), g.const('d', [], [1], DT.int32)], { output_type: attr.type(DT.float) }),
      },
    ]),
  ),
});

dtypeContract(gatherOps, {
  UnravelIndex: (g, dt) => g.op('u', 'UnravelIndex', [g.ph('i', [2], dt), g.const('d', [2], [2, 3], DT.int32)], { Tidx: attr.type(dt) }),
  Gather: (g, dt) => g.op('y', 'Gather', [g.ph('p', [3, 2], dt), g.ph('i', [2], DT.int32)], { Tparams: attr.type(dt) }),
  GatherV2: (g, dt) => gv2(g, [3, 2], [2], 1, 0, dt),
  GatherNd: (g, dt) => g.op('y', 'GatherNd', [g.ph('p', [3, 2], dt), g.ph('i', [2, 1], DT.int32)], { Tparams: attr.type(dt) }),
  OneHot: (g, dt) =>
    g.op('y', 'OneHot', [g.ph('i', [2], DT.int32), g.const('d', [], [3], DT.int32), g.ph('on', [], dt), g.ph('off', [], dt)], { T: attr.type(dt) }),
  TopKV2: (g, dt) => g.op('t', 'TopKV2', [g.ph('x', [4], dt), g.const('k', [], [2], DT.int32)], { T: attr.type(dt) }),
  ArgMax: (g, dt) => g.op('a', 'ArgMax', [g.ph('x', [2, 3], dt), g.const('d', [], [1], DT.int32)], { T: attr.type(dt) }),
  ArgMin: (g, dt) => g.op('a', 'ArgMin', [g.ph('x', [2, 3], dt), g.const('d', [], [1], DT.int32)], { T: attr.type(dt) }),
});
