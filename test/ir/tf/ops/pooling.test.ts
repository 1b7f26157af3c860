// The pooling table (ir/tf/ops/pooling.ts): MaxPool, MaxPoolV2 and AvgPool
// windows, strides and padding in NHWC and NCHW, and the IR pool2d they
// lower to. Sizes are worked out by hand from TensorFlow's rules.

import { poolingOps } from '../../../../ir/tf/ops/pooling.js';
import { attr, DT, G, type Analysis } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

interface PoolCase {
  readonly x: readonly number[];
  readonly ksize: readonly number[];
  readonly strides: readonly number[];
  padding?: string;
  readonly explicit?: readonly number[];
  format?: string;
  op?: string;
}

function pool(g: G, c: PoolCase, dt: number = DT.float): string {
  const x = g.ph('x', c.x, dt);
  const common = {
    T: attr.type(dt),
    padding: attr.s(c.padding ?? 'VALID'),
    ...(c.explicit ? { explicit_paddings: attr.listI(c.explicit) } : {}),
    ...(c.format ? { data_format: attr.s(c.format) } : {}),
  };
  if (c.op === 'MaxPoolV2') {
    return g.op('pool', 'MaxPoolV2', [x, g.const('k', [4], c.ksize, DT.int32), g.const('s', [4], c.strides, DT.int32)], common);
  }
  return g.op('pool', c.op ?? 'MaxPool', [x], { ...common, ksize: attr.listI(c.ksize), strides: attr.listI(c.strides) });
}

function analyze(c: PoolCase): Analysis {
  const g = new G();
  pool(g, c);
  return g.analyze();
}

test.each([
  // name, case, output shape, IR size, strides, pads
  ['MaxPool 2x2 stride 2 VALID', { x: [1, 6, 6, 3], ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1] }, [1, 3, 3, 3], [2, 2], [2, 2], [0, 0, 0, 0]],
  [
    'MaxPool 3x3 stride 2 VALID drops the last row',
    { x: [1, 6, 6, 3], ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1] },
    [1, 2, 2, 3],
    [3, 3],
    [2, 2],
    [0, 0, 0, 0],
  ],
  [
    'MaxPool 3x3 stride 2 SAME on an even input: odd pixel at the end',
    { x: [1, 6, 6, 3], ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: 'SAME' },
    [1, 3, 3, 3],
    [3, 3],
    [2, 2],
    [0, 0, 1, 1],
  ],
  [
    'AvgPool 3x3 stride 2 SAME on an odd input',
    { op: 'AvgPool', x: [1, 5, 5, 2], ksize: [1, 3, 3, 1], strides: [1, 2, 2, 1], padding: 'SAME' },
    [1, 3, 3, 2],
    [3, 3],
    [2, 2],
    [1, 1, 1, 1],
  ],
  [
    'AvgPool non-square window and strides',
    { op: 'AvgPool', x: [2, 7, 8, 1], ksize: [1, 3, 2, 1], strides: [1, 2, 3, 1] },
    [2, 3, 3, 1],
    [3, 2],
    [2, 3],
    [0, 0, 0, 0],
  ],
  ['MaxPool NCHW', { x: [1, 3, 7, 7], ksize: [1, 1, 3, 3], strides: [1, 1, 2, 2], format: 'NCHW' }, [1, 3, 3, 3], [3, 3], [2, 2], [0, 0, 0, 0]],
  [
    'MaxPool EXPLICIT',
    { x: [1, 4, 4, 1], ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'EXPLICIT', explicit: [0, 0, 1, 1, 0, 2, 0, 0] },
    [1, 3, 3, 1],
    [2, 2],
    [2, 2],
    [1, 0, 1, 2],
  ],
  [
    'MaxPoolV2: ksize and strides from constant inputs',
    { op: 'MaxPoolV2', x: [1, 6, 6, 3], ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1], padding: 'SAME' },
    [1, 3, 3, 3],
    [2, 2],
    [2, 2],
    [0, 0, 0, 0],
  ],
] as const)('%s', (_name, c, shape, size, strides, pads) => {
  const a = analyze(c);
  expect(a.shape('pool')).toEqual(shape);
  const fn = (c as PoolCase).op === 'AvgPool' ? 'avg' : 'max';
  expect(a.instrs('pool').map((i) => i.op)).toEqual([
    { kind: 'pool2d', fn, args: [expect.any(Number)], size, strides, pads, layout: (c as PoolCase).format ?? 'NHWC' },
  ]);
});

test('MaxPoolV2 with a run-time ksize needs a constant', () => {
  const g = new G();
  g.op('pool', 'MaxPoolV2', [g.ph('x', [1, 4, 4, 1]), g.ph('k', [4], DT.int32), g.const('s', [4], [1, 1, 1, 1], DT.int32)], {
    padding: attr.s('VALID'),
  });
  expect(g.analyze().mark('pool')).toMatchObject({ ok: false, reason: 'needs-constant' });
});

const base: PoolCase = { x: [1, 4, 4, 2], ksize: [1, 2, 2, 1], strides: [1, 2, 2, 1] };
const refusals = (op: string): Record<string, (g: G) => string> => ({
  'input not of rank 4': (g) => pool(g, { ...base, op, x: [4, 4, 2] }),
  'data_format other than NHWC or NCHW': (g) => pool(g, { ...base, op, format: 'CHWN' }),
  'ksize or strides on the batch or channel dimension': (g) => pool(g, { ...base, op, ksize: [1, 2, 2, 2] }),
  'padding other than SAME, VALID or EXPLICIT': (g) => pool(g, { ...base, op, padding: 'FULL' }),
  'a window larger than the padded input': (g) => pool(g, { ...base, op, ksize: [1, 5, 5, 1] }),
});

test('strides across the batch are refused too', () => {
  const a = analyze({ ...base, strides: [2, 2, 2, 1] });
  expect(a.mark('pool')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: 'strides on the batch or channel dimension' });
});

const base3d: PoolCase = { x: [1, 4, 4, 4, 2], ksize: [1, 2, 2, 2, 1], strides: [1, 2, 2, 2, 1] };
const refusals3d = (op: string): Record<string, (g: G) => string> => ({
  'input not of rank 5': (g) => pool(g, { ...base3d, op, x: [1, 4, 4, 2] }),
  'data_format other than NDHWC': (g) => pool(g, { ...base3d, op, format: 'NCDHW' }),
  'ksize or strides on the batch or channel dimension': (g) => pool(g, { ...base3d, op, ksize: [1, 2, 2, 2, 2] }),
  'padding other than SAME or VALID': (g) => pool(g, { ...base3d, op, padding: 'EXPLICIT' }),
  'a window larger than the padded input': (g) => pool(g, { ...base3d, op, ksize: [1, 5, 2, 2, 1] }),
});
const is3d = (op: string): boolean => op.endsWith('3D');

test('MaxPool3D / AvgPool3D: SAME pads over depth, height and width', () => {
  const g = new G();
  pool(g, { x: [1, 5, 4, 3, 2], ksize: [1, 2, 3, 2, 1], strides: [1, 2, 1, 2, 1], padding: 'SAME', op: 'AvgPool3D' });
  const a = g.analyze();
  expect(a.shape('pool')).toEqual([1, 3, 4, 2, 2]);
  expect(a.instrs('pool')[0]?.op).toMatchObject({ kind: 'pool3d', fn: 'avg', size: [2, 3, 2], strides: [2, 1, 2], pads: [0, 1, 0, 1, 1, 1] });
});

interface DilationCase {
  readonly x?: readonly number[];
  readonly f?: readonly number[];
  readonly strides?: readonly number[];
  readonly rates?: readonly number[];
  readonly padding?: string;
  readonly dt?: number;
  readonly dtF?: number;
}
function dilation(g: G, d: DilationCase = {}): string {
  const dt = d.dt ?? DT.float;
  return g.op('dil', 'Dilation2D', [g.ph('x', d.x ?? [1, 5, 6, 2], dt), g.ph('f', d.f ?? [2, 3, 2], d.dtF ?? dt)], {
    T: attr.type(dt),
    strides: attr.listI(d.strides ?? [1, 1, 1, 1]),
    rates: attr.listI(d.rates ?? [1, 1, 1, 1]),
    padding: attr.s(d.padding ?? 'SAME'),
  });
}

test('Dilation2D unrolls its taps: a slice plus the filter row, the padding masked to the lowest value, a max', () => {
  const g = new G();
  dilation(g, { x: [1, 5, 6, 2], f: [2, 2, 2], strides: [1, 2, 1, 1], rates: [1, 2, 2, 1], padding: 'SAME' });
  const a = g.analyze();
  expect(a.shape('dil')).toEqual([1, 3, 6, 2]);
  const kinds = a.kinds('dil');
  expect(kinds[0]).toBe('pad');
  expect(kinds.filter((k) => k === 'binary.add')).toHaveLength(4);
  expect(kinds.filter((k) => k === 'binary.max')).toHaveLength(3);
  expect(kinds).toContain('select');
  const v = new G();
  dilation(v, { x: [1, 5, 6, 2], f: [2, 2, 2], padding: 'VALID' });
  const b = v.analyze();
  expect(b.shape('dil')).toEqual([1, 4, 5, 2]);
  // VALID never reads the padding: no pad, no mask.
  expect(b.kinds('dil').filter((k) => k === 'pad' || k === 'select')).toEqual([]);
});

const dilationRefusals: Record<string, (g: G) => string> = {
  'an input not of rank 4 or a filter not of rank 3': (g) => dilation(g, { f: [2, 2, 2, 1] }),
  "a filter whose depth or dtype differs from the input's": (g) => dilation(g, { f: [2, 2, 3] }),
  'strides or rates on the batch or channel dimension': (g) => dilation(g, { rates: [1, 1, 1, 2] }),
  'padding other than SAME or VALID': (g) => dilation(g, { padding: 'EXPLICIT' }),
  'a filter of more than 256 taps': (g) => dilation(g, { x: [1, 20, 20, 1], f: [17, 16, 1] }),
  'a window larger than the padded input': (g) => dilation(g, { f: [6, 2, 2], padding: 'VALID' }),
};

refusalContract(
  poolingOps,
  Object.fromEntries(Object.keys(poolingOps).map((op) => [op, op === 'Dilation2D' ? dilationRefusals : is3d(op) ? refusals3d(op) : refusals(op)])),
);
dtypeContract(
  poolingOps,
  Object.fromEntries(
    Object.keys(poolingOps).map((op) => [
      op,
      (g: G, dt: number) => (op === 'Dilation2D' ? dilation(g, { dt }) : pool(g, { ...(is3d(op) ? base3d : base), op }, dt)),
    ]),
  ),
);
