// The movement table (ir/tf/ops/movement.ts): Split/SplitV/Unpack as one
// slice per output (and their folds), Tile, ReverseV2, BroadcastTo, the block
// rearrangements (DepthToSpace, SpaceToDepth, SpaceToBatchND,
// BatchToSpaceND) as reshape/transpose chains.

import { movementOps } from '../../../../ir/tf/ops/movement.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

const ints = (g: G, name: string, v: number[], shape: number[] = [v.length]): string => g.const(name, shape, v, DT.int32);
const split = (g: G, x: number[], axis: number, n: number, dt: number = DT.float): string =>
  g.op('s', 'Split', [ints(g, 'axis', [axis], []), g.ph('x', x, dt)], { T: attr.type(dt), num_split: attr.i(n) });
const splitV = (g: G, x: number[], sizes: number[], axis: number, dt: number = DT.float): string =>
  g.op('s', 'SplitV', [g.ph('x', x, dt), ints(g, 'sizes', sizes), ints(g, 'axis', [axis], [])], {
    T: attr.type(dt),
    num_split: attr.i(sizes.length),
    Tlen: attr.type(DT.int32),
  });
const unpack = (g: G, x: number[], axis: number, dt: number = DT.float): string =>
  g.op('u', 'Unpack', [g.ph('x', x, dt)], { T: attr.type(dt), num: attr.i(x[axis < 0 ? axis + x.length : axis]!), axis: attr.i(axis) });
const blocks = (g: G, op: string, x: number[], block: number[], pads: number[], dt: number = DT.float): string =>
  g.op('b', op, [g.ph('x', x, dt), ints(g, 'block', block), ints(g, 'pads', pads, [block.length, 2])], { T: attr.type(dt) });
const d2s = (g: G, op: string, x: number[], b: number, dt: number = DT.float, format = 'NHWC'): string =>
  g.op('d', op, [g.ph('x', x, dt)], { T: attr.type(dt), block_size: attr.i(b), data_format: attr.s(format) });

test('Split, SplitV (with -1) and Unpack give one output per piece', () => {
  const g = new G();
  split(g, [2, 6], -1, 3);
  const a = g.analyze();
  expect(a.types('s').outputs.map((t) => t?.shape)).toEqual([
    [2, 2],
    [2, 2],
    [2, 2],
  ]);
  expect(a.kinds('s')).toEqual(['strided_slice', 'strided_slice', 'strided_slice']);
  const g1 = new G();
  splitV(g1, [5, 3], [1, -1, 2], 0);
  expect(
    g1
      .analyze()
      .types('s')
      .outputs.map((t) => t?.shape[0]),
  ).toEqual([1, 2, 2]);
  const g2 = new G();
  unpack(g2, [2, 3], 1);
  const b = g2.analyze();
  expect(b.types('u').outputs.map((t) => t?.shape)).toEqual([[2], [2], [2]]);
  expect(b.kinds('u')).toEqual(['strided_slice', 'reshape', 'strided_slice', 'reshape', 'strided_slice', 'reshape']);
});

test('Unpack of a constant folds (a Shape unstacked)', () => {
  const g = new G();
  g.op('u', 'Unpack', [ints(g, 'v', [4, 5, 6])], { T: attr.type(DT.int32), num: attr.i(3), axis: attr.i(0) });
  const a = g.analyze();
  expect([0, 1, 2].map((k) => values(a.value('u', k)))).toEqual([[4], [5], [6]]);
});

test('ReverseV2 is a slice with negative strides; its fold reverses', () => {
  const g = new G();
  g.op('r', 'ReverseV2', [g.ph('x', [2, 3]), ints(g, 'ax', [-1])], { Tidx: attr.type(DT.int32) });
  g.op('rc', 'ReverseV2', [ints(g, 'v', [1, 2, 3, 4, 5, 6], [2, 3]), ints(g, 'ax2', [0, 1])], { T: attr.type(DT.int32), Tidx: attr.type(DT.int32) });
  const a = g.analyze();
  expect(a.instrs('r')[0]?.op).toMatchObject({ kind: 'strided_slice', begin: [0, 2], end: [2, -1], strides: [1, -1] });
  expect(values(a.value('rc'))).toEqual([6, 5, 4, 3, 2, 1]);
});

test('block rearrangements are reshape, transpose, reshape (SpaceToBatchND pads first, BatchToSpaceND crops last)', () => {
  const g = new G();
  d2s(g, 'DepthToSpace', [1, 2, 3, 8], 2);
  const d = g.analyze();
  expect(d.shape('d')).toEqual([1, 4, 6, 2]);
  expect(d.kinds('d')).toEqual(['reshape', 'transpose', 'reshape']);
  const g1 = new G();
  blocks(g1, 'SpaceToBatchND', [1, 5, 6, 2], [2, 2], [1, 0, 0, 0]);
  const a = g1.analyze();
  expect(a.shape('b')).toEqual([4, 3, 3, 2]);
  expect(a.kinds('b')).toEqual(['pad', 'reshape', 'transpose', 'reshape']);
  const g2 = new G();
  blocks(g2, 'BatchToSpaceND', [4, 3, 3, 2], [2, 2], [1, 0, 0, 1]);
  const b = g2.analyze();
  expect(b.shape('b')).toEqual([1, 5, 5, 2]);
  expect(b.kinds('b')).toEqual(['reshape', 'transpose', 'reshape', 'strided_slice']);
});

const BLOCK = {
  'block_shape not of 1 to rank - 1 positive entries': (g: G) => blocks(g, 'SpaceToBatchND', [1, 4, 4, 2], [2, 0], [0, 0, 0, 0]),
  'paddings / crops not of shape [M, 2] or negative': (g: G) => blocks(g, 'SpaceToBatchND', [1, 4, 4, 2], [2, 2], [0, 0, -2, 0]),
};
refusalContract(movementOps, {
  Split: {
    'a dimension that does not split into num_split equal parts': (g) => split(g, [2, 5], 1, 2),
    'an axis out of range': (g) => split(g, [2, 6], 2, 2),
  },
  SplitV: {
    'size_splits that do not add up to the dimension, or with more than one -1': (g) => splitV(g, [5], [1, 1], 0),
    'an empty piece (TVM has no zero-size tensors)': (g) => splitV(g, [5], [0, 5], 0),
  },
  Unpack: { 'an axis out of range': (g) => g.op('u', 'Unpack', [g.ph('x', [2, 3])], { num: attr.i(2), axis: attr.i(2) }) },
  Tile: {
    'multiples not of one non-negative entry per dimension, or giving an empty tensor': (g) =>
      g.op('t', 'Tile', [g.ph('x', [2, 3]), ints(g, 'm', [2])], { Tmultiples: attr.type(DT.int32) }),
  },
  ReverseV2: { 'an axis out of range or given twice': (g) => g.op('r', 'ReverseV2', [g.ph('x', [2, 3]), ints(g, 'ax', [1, -1])]) },
  BroadcastTo: { 'a shape the input does not broadcast to': (g) => g.op('b', 'BroadcastTo', [g.ph('x', [2, 3]), ints(g, 's', [3, 3])]) },
  DepthToSpace: {
    'data_format other than NHWC, or an input not of rank 4': (g) => d2s(g, 'DepthToSpace', [1, 8, 2, 3], 2, DT.float, 'NCHW'),
    'a depth that is not a multiple of block_size^2, or block_size below 2': (g) => d2s(g, 'DepthToSpace', [1, 2, 3, 6], 2),
  },
  SpaceToDepth: {
    'data_format other than NHWC, or an input not of rank 4': (g) => d2s(g, 'SpaceToDepth', [4, 4, 2], 2),
    'a height or width that is not a multiple of block_size, or block_size below 2': (g) => d2s(g, 'SpaceToDepth', [1, 4, 3, 2], 2),
  },
  SpaceToBatchND: {
    ...BLOCK,
    'a padded dimension that is not a multiple of its block': (g) => blocks(g, 'SpaceToBatchND', [1, 5, 4, 2], [2, 2], [0, 0, 0, 0]),
  },
  BatchToSpaceND: {
    'block_shape not of 1 to rank - 1 positive entries': (g) => blocks(g, 'BatchToSpaceND', [4, 2, 2, 1], [2, 2, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0]),
    'paddings / crops not of shape [M, 2] or negative': (g) => blocks(g, 'BatchToSpaceND', [4, 2, 2, 1], [2, 2], [0, 0, 0, -1]),
    'a batch that is not a multiple of the block volume, or crops that leave nothing': (g) =>
      blocks(g, 'BatchToSpaceND', [3, 2, 2, 1], [2, 2], [0, 0, 0, 0]),
  },
});

dtypeContract(movementOps, {
  Split: (g, dt) => split(g, [2, 6], 1, 2, dt),
  SplitV: (g, dt) => splitV(g, [2, 6], [2, 4], 1, dt),
  Unpack: (g, dt) => unpack(g, [2, 3], 0, dt),
  Tile: (g, dt) => g.op('t', 'Tile', [g.ph('x', [2, 3], dt), ints(g, 'm', [2, 1])], { T: attr.type(dt) }),
  ReverseV2: (g, dt) => g.op('r', 'ReverseV2', [g.ph('x', [2, 3], dt), ints(g, 'ax', [0])], { T: attr.type(dt) }),
  BroadcastTo: (g, dt) => g.op('b', 'BroadcastTo', [g.ph('x', [3], dt), ints(g, 's', [2, 3])], { T: attr.type(dt) }),
  DepthToSpace: (g, dt) => d2s(g, 'DepthToSpace', [1, 2, 2, 4], 2, dt),
  SpaceToDepth: (g, dt) => d2s(g, 'SpaceToDepth', [1, 4, 4, 1], 2, dt),
  SpaceToBatchND: (g, dt) => blocks(g, 'SpaceToBatchND', [1, 4, 4, 1], [2, 2], [0, 0, 0, 0], dt),
  BatchToSpaceND: (g, dt) => blocks(g, 'BatchToSpaceND', [4, 2, 2, 1], [2, 2], [0, 0, 0, 0], dt),
});
