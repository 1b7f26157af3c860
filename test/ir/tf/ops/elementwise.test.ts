// The elementwise table (ir/tf/ops/elementwise.ts): binary ops with NumPy
// broadcasting, exact integer folds with two's-complement wrap-around, AddN,
// BiasAdd along the data_format's channel axis, and Cast (folds truncate
// toward zero, as TensorFlow's kernel does).

import { elementwiseOps } from '../../../../ir/tf/ops/elementwise.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, expectRefused, refusalContract, type Build, type BuildWith } from './contract.js';

const binary = (g: G, op: string, a: number[], b: number[], dt: number = DT.float, dtB = dt): string =>
  g.op('y', op, [g.ph('a', a, dt), g.ph('b', b, dtB)], { T: attr.type(dt) });

test.each([
  ['same shapes', [2, 3], [2, 3], [2, 3]],
  ['a scalar', [2, 3], [], [2, 3]],
  ['a row against a column', [4, 1], [1, 5], [4, 5]],
  ['a lower rank', [2, 3, 4], [4], [2, 3, 4]],
  ['size 1 on both sides', [1, 3, 1], [2, 1, 5], [2, 3, 5]],
] as const)('broadcasting %s', (_name, a, b, out) => {
  const g = new G();
  binary(g, 'Add', [...a], [...b]);
  const r = g.analyze();
  expect(r.shape('y')).toEqual(out);
  expect(r.kinds('y')).toEqual(['binary.add']);
});

test('integer division and remainder fold as TensorFlow rounds them; a zero divisor is left unfolded', () => {
  const g = new G();
  const a = g.const('a', [4], [7, -7, 7, -7], DT.int32);
  const b = g.const('b', [4], [2, 2, -2, -2], DT.int32);
  for (const op of ['FloorDiv', 'FloorMod', 'TruncateDiv', 'TruncateMod', 'Mod']) g.op(op, op, [a, b], { T: attr.type(DT.int32) });
  g.op('zero', 'FloorDiv', [a, g.const('z', [4], [1, 0, 1, 1], DT.int32)], { T: attr.type(DT.int32) });
  const r = g.analyze();
  expect(values(r.value('FloorDiv'))).toEqual([3, -4, -4, 3]);
  expect(values(r.value('FloorMod'))).toEqual([1, 1, -1, -1]);
  expect(values(r.value('TruncateDiv'))).toEqual([3, -3, -3, 3]);
  expect(values(r.value('TruncateMod'))).toEqual([1, -1, 1, -1]);
  expect(values(r.value('Mod'))).toEqual([1, -1, 1, -1]);
  expect(r.value('zero')).toBeUndefined();
});

test('ClipByValue is min with the upper bound, then max with the lower one (TensorFlow order)', () => {
  const g = new G();
  g.op('y', 'ClipByValue', [g.ph('x', [2, 3]), g.ph('lo', []), g.ph('hi', [])]);
  expect(g.analyze().kinds('y')).toEqual(['binary.min', 'binary.max']);
});

test.each([
  ['Add', 'add'],
  ['AddV2', 'add'],
  ['Sub', 'sub'],
  ['Mul', 'mul'],
  ['RealDiv', 'div'],
  ['Maximum', 'max'],
  ['Minimum', 'min'],
  ['SquaredDifference', 'squared_difference'],
  ['Pow', 'pow'],
  ['FloorDiv', 'floor_div'],
  ['FloorMod', 'floor_mod'],
  ['TruncateMod', 'trunc_mod'],
  ['Mod', 'trunc_mod'],
  ['Atan2', 'atan2'],
])('%s lowers to binary.%s', (op, fn) => {
  const g = new G();
  binary(g, op, [2, 3], [3]);
  expect(g.analyze().kinds('y')).toEqual([`binary.${fn}`]);
});

test('integer Pow is a product of selected factors, one per unit of the largest exponent; out of range stays in TF', () => {
  const g = new G();
  intPow(g, DT.int64, [0, 1, 3]);
  expect(g.analyze().kinds('y')).toEqual([
    'compare.greater',
    'select',
    'compare.greater',
    'select',
    'binary.mul',
    'compare.greater',
    'select',
    'binary.mul',
  ]);
  for (const bad of [
    [-1, 2, 0],
    [65, 1, 0],
  ]) {
    const h = new G();
    intPow(h, DT.int32, bad);
    expectRefused(h.analyze(), 'y', 'needs-constant');
  }
});

describe('integer constants fold', () => {
  const fold = (op: string, a: number[], b: number[], shapeB: number[], dt: number = DT.int32): number[] | undefined => {
    const g = new G();
    g.const('a', [a.length], a, dt);
    g.const('b', shapeB, b, dt);
    g.op('y', op, ['a', 'b'], { T: attr.type(dt) });
    return values(g.analyze().value('y'));
  };
  test('Add, Sub, Mul, Maximum, Minimum with a broadcast scalar', () => {
    expect(fold('Add', [1, -2, 3], [10], [])).toEqual([11, 8, 13]);
    expect(fold('Sub', [1, -2, 3], [10], [])).toEqual([-9, -12, -7]);
    expect(fold('Mul', [1, -2, 3], [-3], [1])).toEqual([-3, 6, -9]);
    expect(fold('Maximum', [1, -2, 3], [0], [])).toEqual([1, 0, 3]);
    expect(fold('Minimum', [1, -2, 3], [0], [])).toEqual([0, -2, 0]);
  });
  test('int32 wraps around as in TensorFlow; int64 folds exactly', () => {
    expect(fold('Add', [2 ** 31 - 1], [1], [1])).toEqual([-(2 ** 31)]);
    expect(fold('Mul', [2 ** 20], [2 ** 12], [1], DT.int64)).toEqual([2 ** 32]);
  });
  test('float constants are left to TVM', () => {
    expect(fold('Add', [1, 2], [3], [], DT.float)).toBeUndefined();
  });
});

test('AddN sums left to right', () => {
  const g = new G();
  g.op('s', 'AddN', [g.ph('a', [2, 3]), g.ph('b', [2, 3]), g.ph('c', [2, 3])], { N: attr.i(3) });
  const a = g.analyze();
  expect(a.shape('s')).toEqual([2, 3]);
  const ops = a.instrs('s').map((i) => i.op);
  expect(ops.map((o) => o.kind)).toEqual(['binary', 'binary']);
  // The second add reads the first: ((a + b) + c).
  expect(ops[1]!.args[0]).toBe(a.instrs('s')[0]!.id);
});

const biasAdd = (g: G, x: number[], b: number[], format?: string, dt: number = DT.float): string =>
  g.op('y', 'BiasAdd', [g.ph('x', x, dt), g.ph('b', b, dt)], { T: attr.type(dt), ...(format ? { data_format: attr.s(format) } : {}) });

test.each([
  ['NHWC: the last axis', [1, 4, 4, 3], [3], undefined, 3],
  ['NHWC on a matrix', [2, 5], [5], 'NHWC', 1],
  ['NCHW: axis 1', [1, 3, 4, 4], [3], 'NCHW', 1],
] as const)('BiasAdd %s', (_name, x, b, format, axis) => {
  const g = new G();
  biasAdd(g, [...x], [...b], format);
  const a = g.analyze();
  expect(a.shape('y')).toEqual(x);
  expect(a.instrs('y').map((i) => i.op)).toEqual([{ kind: 'bias_add', args: [expect.any(Number), expect.any(Number)], axis }]);
});

describe('Cast', () => {
  const cast = (g: G, from: number, to: number, truncate?: boolean): string =>
    g.op('c', 'Cast', [g.ph('x', [2, 2], from)], {
      SrcT: attr.type(from),
      DstT: attr.type(to),
      ...(truncate === undefined ? {} : { Truncate: attr.b(truncate) }),
    });

  test('changes the dtype and keeps the shape', () => {
    const g = new G();
    cast(g, DT.float, DT.int32);
    const a = g.analyze();
    expect(a.types('c').outputs[0]).toEqual({ dtype: 'int32', shape: [2, 2] });
    expect(a.instrs('c')[0]?.op).toMatchObject({ kind: 'cast', dtype: 'int32' });
  });

  test('folds with truncation toward zero; bool is x != 0', () => {
    const g = new G();
    g.const('f', [4], [-1.7, -0.2, 0, 2.9]);
    g.op('i', 'Cast', ['f'], { SrcT: attr.type(DT.float), DstT: attr.type(DT.int32) });
    g.op('b', 'Cast', ['f'], { SrcT: attr.type(DT.float), DstT: attr.type(DT.bool) });
    const a = g.analyze();
    expect(values(a.value('i'))).toEqual([-1, 0, 0, 2]);
    expect(values(a.value('b'))).toEqual([1, 1, 0, 1]);
  });

  test('Truncate=true is fine between an int and a float', () => {
    const g = new G();
    cast(g, DT.int32, DT.float, true);
    expect(g.analyze().mark('c')).toMatchObject({ ok: true });
  });
});

/** Ops without float kernels in the IR are refused on float data before their operands are compared. */
const INT_ONLY = new Set(['TruncateDiv', 'LeftShift', 'RightShift']);
const binaryRefusals = (op: string, ints: boolean): Record<string, Build> => ({
  'operands of different dtypes': (g) =>
    INT_ONLY.has(op) ? binary(g, op, [2], [2], DT.int32, DT.int64) : binary(g, op, [2], [2], DT.float, DT.double),
  'shapes that do not broadcast': (g) => binary(g, op, [2, 3], [4], ints ? DT.int32 : DT.float),
});
const BINARY: Record<string, boolean> = {
  Add: true,
  AddV2: true,
  Sub: true,
  Mul: true,
  RealDiv: false,
  Maximum: true,
  Minimum: true,
  SquaredDifference: false,
  Pow: false,
  FloorDiv: true,
  FloorMod: true,
  TruncateDiv: true,
  TruncateMod: true,
  Mod: true,
  LeftShift: true,
  RightShift: true,
  Atan2: false,
};

/** Integer Pow: its exponent must be a constant in 0..64. */
const intPow = (g: G, dt: number, exponents?: number[]): string =>
  g.op('y', 'Pow', [g.ph('a', [2, 3], dt), exponents ? g.const('e', [3], exponents, dt) : g.ph('b', [3], dt)], { T: attr.type(dt) });

refusalContract(elementwiseOps, {
  ...Object.fromEntries(Object.entries(BINARY).map(([op, ints]) => [op, binaryRefusals(op, ints)])),
  Pow: {
    ...binaryRefusals('Pow', false),
    'an integer exponent that is not a constant in 0..64': (g) => intPow(g, DT.int32),
  },
  AddN: {
    'operands of different dtypes': (g) => g.op('s', 'AddN', [g.ph('a', [2]), g.ph('b', [2], DT.double)], { N: attr.i(2) }),
    'operands of different shapes': (g) => g.op('s', 'AddN', [g.ph('a', [2]), g.ph('b', [3])], { N: attr.i(2) }),
  },
  BiasAdd: {
    'data_format other than NHWC or NCHW': (g) => biasAdd(g, [1, 2, 2, 3], [3], 'CHWN'),
    'a bias that is not a vector of the channel count': (g) => biasAdd(g, [1, 2, 2, 3], [2]),
  },
  ClipByValue: {
    'bounds that are neither scalars nor of the data shape, or of another dtype': (g) =>
      g.op('y', 'ClipByValue', [g.ph('x', [2, 3]), g.ph('lo', [3]), g.ph('hi', [])]),
  },
  Cast: {
    'a target dtype the IR lacks': (g) => g.op('c', 'Cast', [g.ph('x', [2])], { SrcT: attr.type(DT.float), DstT: attr.type(7) }),
    'Truncate=true between float dtypes': (g) =>
      g.op('c', 'Cast', [g.ph('x', [2], DT.double)], { SrcT: attr.type(DT.double), DstT: attr.type(DT.float), Truncate: attr.b(true) }),
  },
});

const binaryWith =
  (op: string): BuildWith =>
  (g, dt) =>
    binary(g, op, [2, 3], [3], dt);
dtypeContract(elementwiseOps, {
  ...Object.fromEntries(Object.keys(BINARY).map((op) => [op, binaryWith(op)])),
  Pow: (g, dt) => (dt === DT.int32 || dt === DT.int64 ? intPow(g, dt, [0, 3, 64]) : binary(g, 'Pow', [2, 3], [3], dt)),
  AddN: (g, dt) => g.op('s', 'AddN', [g.ph('a', [2], dt), g.ph('b', [2], dt)], { T: attr.type(dt), N: attr.i(2) }),
  BiasAdd: (g, dt) => biasAdd(g, [2, 3], [3], undefined, dt),
  ClipByValue: (g, dt) => g.op('y', 'ClipByValue', [g.ph('x', [2, 3], dt), g.ph('lo', [], dt), g.ph('hi', [2, 3], dt)], { T: attr.type(dt) }),
  Cast: (g, dt) => g.op('c', 'Cast', [g.ph('x', [2], dt)], { SrcT: attr.type(dt), DstT: attr.type(DT.float) }),
});
