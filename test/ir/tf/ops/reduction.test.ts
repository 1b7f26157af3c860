// The reduction table (ir/tf/ops/reduction.ts): Mean, Sum, Max, Min and Prod
// over constant axes (scalar or vector, negative, repeated), with and without
// keep_dims; integer constants fold exactly, every number dtype is lowered
// (integer Mean with truncation); All/Any, EuclideanNorm, and Cumsum/Cumprod as log-step scans.

import { reductionOps } from '../../../../ir/tf/ops/reduction.js';
import { attr, DT, G, values } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build } from './contract.js';

function reduce(g: G, op: string, shape: number[], axes: number[] | number, keep = false, dt: number = DT.float): string {
  const x = g.ph('x', shape, dt);
  const ax = Array.isArray(axes) ? g.const('axes', [axes.length], axes, DT.int32) : g.const('axes', [], [axes], DT.int32);
  return g.op('r', op, [x, ax], { T: attr.type(dt), Tidx: attr.type(DT.int32), keep_dims: attr.b(keep) });
}

test.each([
  // op, input shape, axes, keep_dims, output shape, IR axes
  ['Mean', [2, 3, 4], [1], false, [2, 4], [1]],
  ['Mean', [2, 3, 4], [1], true, [2, 1, 4], [1]],
  ['Sum', [2, 3, 4], -1, false, [2, 3], [2]],
  ['Sum', [2, 3, 4], [-1, 0], true, [1, 3, 1], [0, 2]],
  ['Max', [2, 3, 4], [2, -1, 2], false, [2, 3], [2]],
  ['Min', [2, 3, 4], [0, 1, 2], false, [], [0, 1, 2]],
  ['Prod', [2, 3, 4], [0, 1, 2], true, [1, 1, 1], [0, 1, 2]],
  ['Mean', [5], [], false, [5], []],
] as const)('%s over %j of %j (axes %j, keep_dims %s)', (op, shape, axes, keep, out, irAxes) => {
  const g = new G();
  reduce(g, op, [...shape], Array.isArray(axes) ? [...axes] : (axes as number), keep);
  const a = g.analyze();
  expect(a.shape('r')).toEqual(out);
  expect(a.instrs('r').map((i) => i.op)).toEqual([
    { kind: 'reduce', fn: op === 'Mean' ? 'mean' : op.toLowerCase(), args: [expect.any(Number)], axes: irAxes, keepDims: keep },
  ]);
});

describe('integer constants fold', () => {
  const fold = (op: string, axes: number[], keep = false): { shape?: readonly number[]; values?: number[] } => {
    const g = new G();
    g.const('v', [2, 3], [1, -2, 3, 4, 5, -6], DT.int32);
    g.op('r', op, ['v', g.const('axes', [axes.length], axes, DT.int32)], {
      T: attr.type(DT.int32),
      Tidx: attr.type(DT.int32),
      keep_dims: attr.b(keep),
    });
    const a = g.analyze();
    return { shape: a.shape('r'), values: values(a.value('r')) };
  };
  test.each([
    ['Sum', [1], false, [2], [2, 3]],
    ['Sum', [0], true, [1, 3], [5, 3, -3]],
    ['Prod', [-1], false, [2], [-6, -120]],
    ['Max', [0, 1], false, [], [5]],
    ['Min', [1], true, [2, 1], [-2, -6]],
  ] as const)('%s over %j (keep_dims %s)', (op, axes, keep, shape, vals) => {
    expect(fold(op, [...axes], keep)).toEqual({ shape, values: vals });
  });

  test('integer Mean is typed but not folded (TensorFlow truncates)', () => {
    expect(fold('Mean', [1])).toEqual({ shape: [2], values: undefined });
  });

  test('int32 Sum wraps around as TensorFlow does; an int64 beyond 2^53 is left unfolded', () => {
    const g = new G();
    g.const('v', [2], [2 ** 31 - 1, 1], DT.int32);
    g.op('r', 'Sum', ['v', g.const('axes', [1], [0], DT.int32)], { T: attr.type(DT.int32), Tidx: attr.type(DT.int32) });
    g.const('w', [2], [2 ** 52, 2 ** 52], DT.int64);
    g.op('big', 'Sum', ['w', 'axes'], { T: attr.type(DT.int64), Tidx: attr.type(DT.int32) });
    const a = g.analyze();
    expect(values(a.value('r'))).toEqual([-(2 ** 31)]);
    expect(a.shape('big')).toEqual([]);
    expect(a.value('big')).toBeUndefined();
  });
});

test('run-time axes need a constant', () => {
  const g = new G();
  g.op('r', 'Sum', [g.ph('x', [2, 3]), g.ph('axes', [1], DT.int32)], { Tidx: attr.type(DT.int32) });
  expect(g.analyze().mark('r')).toMatchObject({ ok: false, reason: 'needs-constant' });
});

const scan = (g: G, op: string, shape: number[], axis: number, attrs: Record<string, boolean> = {}, dt: number = DT.float): string =>
  g.op('r', op, [g.ph('x', shape, dt), g.const('axis', [], [axis], DT.int32)], {
    T: attr.type(dt),
    Tidx: attr.type(DT.int32),
    ...Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr.b(v)])),
  });

test('All and Any reduce bool data; EuclideanNorm is sqrt of a sum of squares', () => {
  const g = new G();
  reduce(g, 'All', [2, 3], [1], false, DT.bool);
  g.op('n', 'EuclideanNorm', [g.ph('y', [2, 3]), g.const('ax', [1], [1], DT.int32)], { Tidx: attr.type(DT.int32) });
  const a = g.analyze();
  expect(a.kinds('r')).toEqual(['reduce.all']);
  expect(a.types('r').outputs[0]).toEqual({ dtype: 'bool', shape: [2] });
  expect(a.kinds('n')).toEqual(['unary.square', 'reduce.sum', 'unary.sqrt']);
});

test.each([
  // length, exclusive, reverse: pads and adds, log2(n) steps (plus the exclusive shift, the reversals)
  [5, false, false, ['pad', 'strided_slice', 'binary.add', 'pad', 'strided_slice', 'binary.add', 'pad', 'strided_slice', 'binary.add']],
  [2, true, true, ['strided_slice', 'pad', 'strided_slice', 'pad', 'strided_slice', 'binary.add', 'strided_slice']],
] as const)('Cumsum over %i elements (exclusive %s, reverse %s) is a log-step scan', (n, exclusive, reverse, kinds) => {
  const g = new G();
  scan(g, 'Cumsum', [3, n], 1, { exclusive, reverse });
  expect(g.analyze().kinds('r')).toEqual(kinds);
});

const BINCOUNTS = ['Bincount', 'DenseBincount'];
/** Bincount (values int32) or DenseBincount (values of `tidx`), weights of `dt` (shape [] when empty), a constant size. */
function bincount(
  g: G,
  op: string,
  values: number[],
  size: number,
  weights: number[] | 'empty',
  dt: number = DT.float,
  tidx: number = DT.int32,
  extra = {},
): string {
  const dense = op === 'DenseBincount';
  const v = g.ph('v', values, dense ? tidx : DT.int32);
  const w = weights === 'empty' ? g.const('w', [0], [], dt) : g.ph('w', weights, dt);
  const s = g.const('size', [], [size], dense && tidx === DT.int64 ? DT.int64 : DT.int32);
  return g.op('bc', op, [v, s, w], { T: attr.type(dt), ...(dense ? { Tidx: attr.type(tidx) } : {}), ...extra });
}

test('Bincount is a one-hot of the values summed over them; weights multiply it; an empty weights tensor counts', () => {
  const g = new G();
  bincount(g, 'Bincount', [2, 5], 7, 'empty', DT.int32);
  let a = g.analyze();
  expect(a.types('bc').outputs[0]).toEqual({ dtype: 'int32', shape: [7] });
  expect(a.kinds('bc')).toEqual(['one_hot', 'reduce.sum']);
  expect(a.instrs('bc')[1]?.op).toMatchObject({ kind: 'reduce', fn: 'sum', axes: [0, 1] });
  const h = new G();
  bincount(h, 'DenseBincount', [3, 4], 5, [3, 4], DT.double, DT.int64);
  a = h.analyze();
  expect(a.types('bc').outputs[0]).toEqual({ dtype: 'float64', shape: [3, 5] });
  expect(a.kinds('bc')).toEqual(['one_hot', 'reshape', 'binary.mul', 'reduce.sum']);
  expect(a.instrs('bc')[3]?.op).toMatchObject({ axes: [1] });
});

test('DenseBincount binary_output is a max of the one-hot, the weights ignored', () => {
  const g = new G();
  bincount(g, 'DenseBincount', [6], 4, [6], DT.float, DT.int32, { binary_output: attr.b(true) });
  const a = g.analyze();
  expect(a.kinds('bc')).toEqual(['one_hot', 'reduce.max']);
  expect(a.instrs('bc')[1]?.op).toMatchObject({ fn: 'max', axes: [0] });
});

test('a run-time size stays in TensorFlow (needs-constant)', () => {
  const g = new G();
  g.op('bc', 'Bincount', [g.ph('v', [4], DT.int32), g.ph('s', [], DT.int32), g.const('w', [0], [])]);
  expect(g.analyze().mark('bc')).toMatchObject({ ok: false, reason: 'needs-constant' });
});

const bincountRefusals = (op: string): Record<string, Build> => ({
  'a size below 1 (an empty output)': (g) => bincount(g, op, [4], 0, 'empty'),
  'weights neither empty nor of the shape of the values': (g) => bincount(g, op, [4], 3, [5]),
  'more than 2^24 values times bins (the one-hot it is computed from)': (g) => bincount(g, op, [4096], 5000, 'empty'),
  ...(op === 'DenseBincount'
    ? {
        'an input not of rank 1 or 2': (g: G) => bincount(g, op, [2, 2, 2], 3, 'empty'),
        'weights of a dtype other than float32, float64, int32 or int64': (g: G) => bincount(g, op, [4], 3, [4], DT.bool),
      }
    : {
        'values of a dtype other than int32': (g: G) =>
          g.op('bc', op, [g.ph('v', [4], DT.int64), g.const('s', [], [3], DT.int32), g.const('w', [0], [])]),
      }),
});

refusalContract(reductionOps, {
  ...Object.fromEntries(BINCOUNTS.map((op) => [op, bincountRefusals(op)])),
  ...Object.fromEntries(
    Object.keys(reductionOps)
      .filter((op) => op !== 'Cumsum' && op !== 'Cumprod' && !BINCOUNTS.includes(op))
      .map((op) => [
        op,
        {
          'a reduction axis out of range': (g: G) => reduce(g, op, [2, 3], [2], false, op === 'All' || op === 'Any' ? DT.bool : DT.float),
          ...(op === 'Mean'
            ? { 'an integer Mean over no elements (TensorFlow divides by zero)': (g: G) => reduce(g, op, [2, 0], [1], false, DT.int32) }
            : {}),
        },
      ]),
  ),
  ...Object.fromEntries(
    ['Cumsum', 'Cumprod'].map((op) => [
      op,
      { 'a scalar input': (g: G) => scan(g, op, [], 0), 'an axis out of range': (g: G) => scan(g, op, [2, 3], 2) },
    ]),
  ),
});
dtypeContract(reductionOps, {
  ...Object.fromEntries(Object.keys(reductionOps).map((op) => [op, (g: G, dt: number) => reduce(g, op, [2, 3], [1], false, dt)])),
  Cumsum: (g, dt) => scan(g, 'Cumsum', [2, 3], 1, {}, dt),
  Cumprod: (g, dt) => scan(g, 'Cumprod', [2, 3], 1, {}, dt),
  Bincount: (g, dt) => bincount(g, 'Bincount', [5], 4, [5], dt),
  DenseBincount: (g, dt) => bincount(g, 'DenseBincount', [5], 4, [5], DT.float, dt),
});
