// The shape table (ir/tf/ops/shape.ts): Reshape, Squeeze, ExpandDims,
// Transpose, ConcatV2, Pack, Pad/PadV2/MirrorPad, StridedSlice, Slice and
// Shape: output shapes from constant shape arguments (negative axes, -1
// sizes), the IR they lower to, and folds of constant data.

import { encodeTensor, type TensorData } from '../../../../ir/tf/graphdef/io.js';
import { shapeOps } from '../../../../ir/tf/ops/shape.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build, type BuildWith } from './contract.js';

const ints = (g: G, name: string, v: number[], shape: number[] = [v.length]): string => g.const(name, shape, v, DT.int32);

/** A scalar constant of any DT the tests use (G.const has no bool). */
function scalar(g: G, name: string, dt: number, v: number): string {
  const data: TensorData =
    dt === DT.double
      ? Float64Array.of(v)
      : dt === DT.int32
        ? Int32Array.of(v)
        : dt === DT.int64
          ? BigInt64Array.of(BigInt(v))
          : dt === DT.bool
            ? Uint8Array.of(v)
            : Float32Array.of(v);
  return g.op(name, 'Const', [], { dtype: attr.type(dt), value: attr.tensor(encodeTensor(dt, [], data)) });
}

const reshape = (g: G, x: number[], to: number[], dt: number = DT.float): string =>
  g.op('y', 'Reshape', [g.ph('x', x, dt), ints(g, 'to', to)], { T: attr.type(dt) });
const squeeze = (g: G, x: number[], dims?: number[], dt: number = DT.float): string =>
  g.op('y', 'Squeeze', [g.ph('x', x, dt)], { T: attr.type(dt), ...(dims ? { squeeze_dims: attr.listI(dims) } : {}) });
const expandDims = (g: G, x: number[], dim: number[], dt: number = DT.float): string =>
  g.op('y', 'ExpandDims', [g.ph('x', x, dt), ints(g, 'dim', dim, dim.length === 1 ? [] : [dim.length])], { T: attr.type(dt) });
const transpose = (g: G, x: number[], perm: number[], dt: number = DT.float): string =>
  g.op('y', 'Transpose', [g.ph('x', x, dt), ints(g, 'perm', perm)], { T: attr.type(dt) });
const concat = (g: G, shapes: number[][], axis: number, dt: number = DT.float): string =>
  g.op('y', 'ConcatV2', [...shapes.map((s, i) => g.ph(`x${i}`, s, dt)), ints(g, 'axis', [axis], [])], { T: attr.type(dt), N: attr.i(shapes.length) });
const pack = (g: G, shapes: number[][], axis: number, dt: number = DT.float): string =>
  g.op(
    'y',
    'Pack',
    shapes.map((s, i) => g.ph(`x${i}`, s, dt)),
    { T: attr.type(dt), N: attr.i(shapes.length), axis: attr.i(axis) },
  );
const pad = (g: G, op: string, x: number[], pads: number[], extra: { mode?: string; value?: string } = {}, dt: number = DT.float): string =>
  g.op('y', op, [g.ph('x', x, dt), ints(g, 'pads', pads, [pads.length / 2, 2]), ...(extra.value ? [extra.value] : [])], {
    T: attr.type(dt),
    Tpaddings: attr.type(DT.int32),
    ...(extra.mode ? { mode: attr.s(extra.mode) } : {}),
  });
const stridedSlice = (g: G, x: number[], b: number[], e: number[], s: number[], masks: Record<string, number> = {}, dt: number = DT.float): string =>
  g.op('y', 'StridedSlice', [g.ph('x', x, dt), ints(g, 'b', b), ints(g, 'e', e), ints(g, 's', s)], {
    T: attr.type(dt),
    Index: attr.type(DT.int32),
    ...Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, attr.i(v)])),
  });
const slice = (g: G, x: number[], begin: number[], size: number[], dt: number = DT.float): string =>
  g.op('y', 'Slice', [g.ph('x', x, dt), ints(g, 'b', begin), ints(g, 'sz', size)], { T: attr.type(dt), Index: attr.type(DT.int32) });

function run(build: Build): ReturnType<G['analyze']> {
  const g = new G();
  build(g);
  return g.analyze();
}

test.each([
  ['Reshape with -1', (g: G) => reshape(g, [2, 3, 4], [-1, 4]), [6, 4], ['reshape']],
  ['Reshape to a scalar', (g: G) => reshape(g, [1, 1], []), [], ['reshape']],
  ['Squeeze named dimensions (negative too)', (g: G) => squeeze(g, [1, 3, 1, 2], [0, -2]), [3, 2], ['reshape']],
  ['Squeeze every size-1 dimension', (g: G) => squeeze(g, [1, 3, 1, 2]), [3, 2], ['reshape']],
  ['ExpandDims at -1 appends', (g: G) => expandDims(g, [2, 3], [-1]), [2, 3, 1], ['reshape']],
  ['ExpandDims at 0', (g: G) => expandDims(g, [2, 3], [0]), [1, 2, 3], ['reshape']],
  ['Transpose', (g: G) => transpose(g, [2, 3, 4], [2, 0, 1]), [4, 2, 3], ['transpose']],
  [
    'ConcatV2 on a negative axis',
    (g: G) =>
      concat(
        g,
        [
          [2, 3],
          [2, 5],
        ],
        -1,
      ),
    [2, 8],
    ['concat'],
  ],
  [
    'Pack on a negative axis',
    (g: G) =>
      pack(
        g,
        [
          [2, 3],
          [2, 3],
          [2, 3],
        ],
        -1,
      ),
    [2, 3, 3],
    ['stack'],
  ],
  ['Pad', (g: G) => pad(g, 'Pad', [2, 3], [1, 0, 2, 2]), [3, 7], ['pad']],
  ['MirrorPad SYMMETRIC may pad the full size', (g: G) => pad(g, 'MirrorPad', [2, 3], [2, 0, 0, 3], { mode: 'SYMMETRIC' }), [4, 6], ['pad']],
  [
    'StridedSlice with shrink_axis_mask',
    (g: G) => stridedSlice(g, [4, 5], [1, 0], [2, 5], [1, 2], { shrink_axis_mask: 1 }),
    [3],
    ['strided_slice', 'reshape'],
  ],
  ['StridedSlice reversed', (g: G) => stridedSlice(g, [4, 5], [0, 0], [0, 0], [-1, 1], { begin_mask: 3, end_mask: 3 }), [4, 5], ['strided_slice']],
  ['Slice with size -1', (g: G) => slice(g, [4, 5], [1, 2], [2, -1]), [2, 3], ['strided_slice']],
] as const)('%s', (_name, build, shape, kinds) => {
  const a = run(build);
  expect(a.shape('y')).toEqual(shape);
  expect(a.kinds('y')).toEqual(kinds);
});

test('the IR gets non-negative axes and explicit [before, after] pads', () => {
  const a = run((g) => {
    concat(
      g,
      [
        [2, 3],
        [2, 5],
      ],
      -1,
    );
    return g.op('p', 'Pack', ['x0', 'x0'], { N: attr.i(2), axis: attr.i(-1) });
  });
  expect(a.instrs('y')[0]?.op).toMatchObject({ kind: 'concat', axis: 1 });
  expect(a.instrs('p')[0]?.op).toMatchObject({ kind: 'stack', axis: 2 });
  const p = run((g) => pad(g, 'PadV2', [2, 3], [1, 0, 2, 2], { value: g.const('v', [], [1.5]) }));
  expect(p.instrs('y')[0]?.op).toMatchObject({
    kind: 'pad',
    pads: [
      [1, 0],
      [2, 2],
    ],
    mode: 'constant',
    value: 1.5,
  });
});

describe('constant data folds', () => {
  test('Reshape, Transpose, ConcatV2, Pack, StridedSlice and Slice of constants', () => {
    const g = new G();
    ints(g, 'c', [1, 2, 3, 4, 5, 6], [2, 3]);
    g.op('r', 'Reshape', ['c', ints(g, 'to', [3, -1])], { T: attr.type(DT.int32) });
    g.op('t', 'Transpose', ['c', ints(g, 'perm', [1, 0])], { T: attr.type(DT.int32) });
    g.op('cat', 'ConcatV2', ['c', 'c', ints(g, 'axis', [0], [])], { T: attr.type(DT.int32), N: attr.i(2) });
    g.op('pk', 'Pack', ['c', 'c'], { T: attr.type(DT.int32), N: attr.i(2), axis: attr.i(1) });
    g.op('ss', 'StridedSlice', ['c', ints(g, 'b', [0, 2]), ints(g, 'e', [2, 0]), ints(g, 's', [1, -1])], {
      T: attr.type(DT.int32),
      Index: attr.type(DT.int32),
    });
    g.op('sl', 'Slice', ['c', ints(g, 'sb', [1, 1]), ints(g, 'sz', [1, 2])], { T: attr.type(DT.int32), Index: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.shape('r')).toEqual([3, 2]);
    expect(values(a.value('r'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values(a.value('t'))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(values(a.value('cat'))).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    expect(a.shape('pk')).toEqual([2, 2, 3]);
    expect(values(a.value('pk'))).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
    expect(values(a.value('ss'))).toEqual([3, 2, 6, 5]);
    expect(values(a.value('sl'))).toEqual([5, 6]);
  });

  test('Shape folds to the static shape in out_type (int32 by default)', () => {
    const g = new G();
    const x = g.ph('x', [2, 7, 3]);
    g.op('s', 'Shape', [x]);
    g.op('s64', 'Shape', [x], { out_type: attr.type(DT.int64) });
    const a = g.analyze();
    expect(a.types('s').outputs[0]).toEqual({ dtype: 'int32', shape: [3] });
    expect(values(a.value('s'))).toEqual([2, 7, 3]);
    expect(a.value('s64')?.dtype).toBe('int64');
    // Shape folds only: it is never compiled.
    expect(a.mark('s')).toMatchObject({ ok: false, reason: 'unsupported-op' });
  });
});

const padRefusals = (op: string): Record<string, Build> => ({
  'paddings not of shape [rank, 2]': (g) =>
    pad(g, op, [2, 3], [1, 1], op === 'MirrorPad' ? { mode: 'REFLECT' } : op === 'PadV2' ? { value: g.const('v', [], [0]) } : {}),
  'negative paddings (cropping)': (g) =>
    pad(g, op, [2, 3], [-1, 0, 0, 0], op === 'MirrorPad' ? { mode: 'REFLECT' } : op === 'PadV2' ? { value: g.const('v', [], [0]) } : {}),
});

test('BroadcastArgs and InvertPermutation fold', () => {
  const g = new G();
  g.op('b', 'BroadcastArgs', [ints(g, 'a', [2, 1, 3]), ints(g, 'c', [4, 1])], { T: attr.type(DT.int32) });
  g.op('p', 'InvertPermutation', [ints(g, 'q', [2, 0, 1])], { T: attr.type(DT.int32) });
  const a = g.analyze();
  expect(values(a.value('b'))).toEqual([2, 4, 3]);
  expect(values(a.value('p'))).toEqual([1, 2, 0]);
});

test('Concat takes its axis first; Rank and Size fold from the static shape', () => {
  const g = new G();
  g.op('c', 'Concat', [ints(g, 'ax', [1], []), g.ph('a', [2, 3]), g.ph('b', [2, 1])], { N: attr.i(2) });
  g.op('r', 'Rank', [g.ph('x', [2, 3, 4])]);
  g.op('s', 'Size', ['x'], { out_type: attr.type(DT.int64) });
  const a = g.analyze();
  expect(a.shape('c')).toEqual([2, 4]);
  expect(a.kinds('c')).toEqual(['concat']);
  expect(values(a.value('r'))).toEqual([3]);
  expect(values(a.value('s'))).toEqual([24]);
  expect(a.value('s')?.dtype).toBe('int64');
});

refusalContract(shapeOps, {
  Concat: {
    'an axis out of range': (g) => g.op('y', 'Concat', [ints(g, 'ax', [2], []), g.ph('a', [2, 3]), g.ph('b', [2, 3])], { N: attr.i(2) }),
    'inputs that differ in dtype, rank or size off the axis': (g) =>
      g.op('y', 'Concat', [ints(g, 'ax', [1], []), g.ph('a', [2, 3]), g.ph('b', [3, 3])], { N: attr.i(2) }),
  },
  BroadcastArgs: { 'shapes that do not broadcast': (g) => g.op('b', 'BroadcastArgs', [ints(g, 's0', [2, 3]), ints(g, 's1', [4])]) },
  InvertPermutation: { 'a vector that is not a permutation of 0..n-1': (g) => g.op('p', 'InvertPermutation', [ints(g, 'a', [0, 0, 1])]) },
  Size: { 'an element count beyond int32 with out_type int32': (g) => g.op('s', 'Size', [g.ph('x', [65536, 65536])]) },
  Reshape: {
    'more than one -1 in the new shape': (g) => reshape(g, [2, 3], [-1, -1]),
    'a new shape of another element count': (g) => reshape(g, [2, 3], [4, 2]),
  },
  Squeeze: {
    'a squeeze dimension out of range': (g) => squeeze(g, [1, 3, 1], [3]),
    'squeezing a dimension whose size is not 1': (g) => squeeze(g, [1, 3, 1], [1]),
  },
  ExpandDims: {
    'dim of more than one value': (g) => expandDims(g, [2, 3], [0, 1]),
    'dim out of range': (g) => expandDims(g, [2, 3], [3]),
  },
  Transpose: { 'perm that is not a permutation of the dimensions': (g) => transpose(g, [2, 3], [0, 0]) },
  ConcatV2: {
    'an axis that is not a compile-time constant': (g) =>
      g.op('y', 'ConcatV2', [g.ph('a', [2]), g.ph('b', [2]), g.ph('axis', [], DT.int32)], { N: attr.i(2) }),
    'an axis out of range': (g) =>
      concat(
        g,
        [
          [2, 3],
          [2, 3],
        ],
        2,
      ),
    'inputs that differ in dtype, rank or size off the axis': (g) =>
      concat(
        g,
        [
          [2, 3],
          [3, 3],
        ],
        1,
      ),
  },
  Pack: {
    'an axis out of range': (g) => pack(g, [[2], [2]], 2),
    'inputs that differ in dtype or shape': (g) => pack(g, [[2], [3]], 0),
  },
  Pad: padRefusals('Pad'),
  PadV2: {
    ...padRefusals('PadV2'),
    'constant_values of another dtype than the data, or float16': (g) => pad(g, 'PadV2', [2, 3], [1, 1, 0, 0], { value: ints(g, 'v', [0], []) }),
  },
  MirrorPad: {
    ...padRefusals('MirrorPad'),
    'a mode other than REFLECT or SYMMETRIC': (g) => pad(g, 'MirrorPad', [2, 3], [1, 1, 0, 0], { mode: 'EDGE' }),
    'a padding beyond the dimension (REFLECT: beyond its size - 1)': (g) => pad(g, 'MirrorPad', [2, 3], [2, 0, 0, 0], { mode: 'REFLECT' }),
  },
  StridedSlice: {
    'a slice TensorFlow rejects (zero stride, index out of bounds, two ellipses)': (g) => stridedSlice(g, [4], [0], [4], [0]),
    'an empty slice (TVM has no zero-size tensors)': (g) => stridedSlice(g, [4, 5], [3, 0], [1, 5], [1, 1]),
  },
  Slice: {
    'begin or size without one entry per dimension': (g) => slice(g, [4, 5], [0], [2]),
    'a slice out of bounds': (g) => slice(g, [4, 5], [3, 0], [2, 5]),
    'an empty slice (TVM has no zero-size tensors)': (g) => slice(g, [4, 5], [1, 0], [0, 5]),
  },
});

const on = (build: (g: G, dt: number) => string): BuildWith => build;
dtypeContract(shapeOps, {
  Concat: on((g, dt) => g.op('y', 'Concat', [ints(g, 'ax', [0], []), g.ph('a', [2], dt), g.ph('b', [3], dt)], { T: attr.type(dt), N: attr.i(2) })),
  Reshape: on((g, dt) => reshape(g, [2, 3], [3, 2], dt)),
  Squeeze: on((g, dt) => squeeze(g, [1, 3], undefined, dt)),
  ExpandDims: on((g, dt) => expandDims(g, [2, 3], [1], dt)),
  Transpose: on((g, dt) => transpose(g, [2, 3], [1, 0], dt)),
  ConcatV2: on((g, dt) => concat(g, [[2], [3]], 0, dt)),
  Pack: on((g, dt) => pack(g, [[2], [2]], 0, dt)),
  Pad: on((g, dt) => pad(g, 'Pad', [2, 3], [1, 1, 0, 0], {}, dt)),
  PadV2: on((g, dt) => pad(g, 'PadV2', [2, 3], [1, 1, 0, 0], { value: scalar(g, 'v', dt, 1) }, dt)),
  MirrorPad: on((g, dt) => pad(g, 'MirrorPad', [2, 3], [1, 1, 0, 0], { mode: 'REFLECT' }, dt)),
  StridedSlice: on((g, dt) => stridedSlice(g, [4, 5], [1, 0], [3, 5], [1, 1], {}, dt)),
  Slice: on((g, dt) => slice(g, [4, 5], [1, 0], [2, 5], dt)),
});
