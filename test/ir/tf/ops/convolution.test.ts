// The convolution table (ir/tf/ops/convolution.ts): Conv2D and
// DepthwiseConv2dNative output types under SAME, VALID and EXPLICIT padding,
// NHWC and NCHW, strides and dilations, and the explicit pads, groups and
// layouts of the IR conv2d they lower to. Sizes are worked out by hand from
// TensorFlow's rules: SAME gives ceil(in / stride) with the odd padding pixel
// at the end; VALID gives floor((in - dilated window) / stride) + 1.

import { convolutionOps } from '../../../../ir/tf/ops/convolution.js';
import { attr, DT, G, type Analysis } from '../../helpers.js';
import { dtypeContract, refusalContract } from './contract.js';

interface ConvCase {
  readonly x: readonly number[];
  readonly w: readonly number[];
  readonly strides?: readonly number[];
  readonly dilations?: readonly number[];
  padding?: string;
  readonly explicit?: readonly number[];
  format?: string;
  op?: string;
}

function conv(g: G, c: ConvCase, dt: number = DT.float): string {
  const x = g.ph('x', c.x, dt);
  const w = dt === DT.float ? g.weight('w', c.w) : g.ph('w', c.w, dt);
  return g.op('conv', c.op ?? 'Conv2D', [x, w], {
    T: attr.type(dt),
    strides: attr.listI(c.strides ?? [1, 1, 1, 1]),
    padding: attr.s(c.padding ?? 'SAME'),
    ...(c.dilations ? { dilations: attr.listI(c.dilations) } : {}),
    ...(c.explicit ? { explicit_paddings: attr.listI(c.explicit) } : {}),
    ...(c.format ? { data_format: attr.s(c.format) } : {}),
  });
}

function analyze(c: ConvCase): Analysis {
  const g = new G();
  conv(g, c);
  return g.analyze();
}

describe('Conv2D output shapes and pads', () => {
  test.each([
    // name, case, output shape, IR pads [top, left, bottom, right]
    ['SAME, stride 1', { x: [1, 5, 5, 3], w: [3, 3, 3, 4] }, [1, 5, 5, 4], [1, 1, 1, 1]],
    ['SAME, stride 2, odd input: even split', { x: [1, 5, 5, 3], w: [3, 3, 3, 4], strides: [1, 2, 2, 1] }, [1, 3, 3, 4], [1, 1, 1, 1]],
    [
      'SAME, stride 2, even input: the odd pixel goes at the end',
      { x: [1, 6, 6, 3], w: [3, 3, 3, 4], strides: [1, 2, 2, 1] },
      [1, 3, 3, 4],
      [0, 0, 1, 1],
    ],
    ['SAME, 1x1 kernel, stride 2: no padding', { x: [1, 6, 6, 3], w: [1, 1, 3, 4], strides: [1, 2, 2, 1] }, [1, 3, 3, 4], [0, 0, 0, 0]],
    ['VALID, stride 1', { x: [1, 5, 5, 3], w: [3, 3, 3, 4], padding: 'VALID' }, [1, 3, 3, 4], [0, 0, 0, 0]],
    [
      'VALID, stride 2 drops the last column',
      { x: [1, 6, 6, 3], w: [3, 3, 3, 4], strides: [1, 2, 2, 1], padding: 'VALID' },
      [1, 2, 2, 4],
      [0, 0, 0, 0],
    ],
    ['VALID, unequal strides and kernel', { x: [2, 7, 9, 3], w: [3, 2, 3, 5], strides: [1, 2, 3, 1], padding: 'VALID' }, [2, 3, 3, 5], [0, 0, 0, 0]],
    [
      'EXPLICIT pads per dimension (NHWC pairs)',
      { x: [1, 5, 5, 3], w: [3, 3, 3, 4], padding: 'EXPLICIT', explicit: [0, 0, 1, 2, 2, 1, 0, 0] },
      [1, 6, 6, 4],
      [1, 2, 2, 1],
    ],
    [
      'EXPLICIT with stride 2',
      { x: [1, 5, 5, 3], w: [3, 3, 3, 4], strides: [1, 2, 2, 1], padding: 'EXPLICIT', explicit: [0, 0, 0, 1, 3, 0, 0, 0] },
      [1, 2, 3, 4],
      [0, 3, 1, 0],
    ],
    [
      'VALID, dilation 2: the window spans 5',
      { x: [1, 7, 7, 1], w: [3, 3, 1, 2], dilations: [1, 2, 2, 1], padding: 'VALID' },
      [1, 3, 3, 2],
      [0, 0, 0, 0],
    ],
    ['SAME, dilation 2: pads 2 each side', { x: [1, 7, 7, 1], w: [3, 3, 1, 2], dilations: [1, 2, 2, 1] }, [1, 7, 7, 2], [2, 2, 2, 2]],
    ['SAME, dilation 3 on h only', { x: [1, 8, 8, 1], w: [2, 2, 1, 1], dilations: [1, 3, 1, 1] }, [1, 8, 8, 1], [1, 0, 2, 1]],
    ['NCHW, SAME, stride 2 in NCHW order', { x: [1, 3, 6, 5], w: [3, 3, 3, 4], strides: [1, 1, 2, 2], format: 'NCHW' }, [1, 4, 3, 3], [0, 1, 1, 1]],
    [
      'NCHW, EXPLICIT pads in NCHW order',
      { x: [1, 3, 5, 5], w: [3, 3, 3, 4], padding: 'EXPLICIT', explicit: [0, 0, 0, 0, 1, 0, 0, 2], format: 'NCHW' },
      [1, 4, 4, 5],
      [1, 0, 0, 2],
    ],
  ] as const)('%s', (_name, c, shape, pads) => {
    const a = analyze(c);
    expect(a.shape('conv')).toEqual(shape);
    expect(a.instrs('conv').map((i) => i.op)).toEqual([
      expect.objectContaining({
        kind: 'conv2d',
        pads,
        groups: 1,
        dataLayout: (c as ConvCase).format ?? 'NHWC',
        kernelLayout: 'HWIO',
      }),
    ]);
    expect(a.mark('conv')).toMatchObject({ ok: true, compute: true });
  });

  test('strides and dilations reach the IR as [h, w]', () => {
    const a = analyze({ x: [1, 3, 9, 9], w: [3, 3, 3, 2], strides: [1, 1, 2, 3], dilations: [1, 1, 2, 1], padding: 'VALID', format: 'NCHW' });
    expect(a.instrs('conv')[0]?.op).toMatchObject({ strides: [2, 3], dilations: [2, 1] });
    // h: floor((9 - 5) / 2) + 1 = 3; w: floor((9 - 3) / 3) + 1 = 3.
    expect(a.shape('conv')).toEqual([1, 2, 3, 3]);
  });

  test('grouped Conv2D: a filter of C / g input channels gives g groups', () => {
    const a = analyze({ x: [1, 5, 5, 4], w: [3, 3, 2, 6] });
    expect(a.shape('conv')).toEqual([1, 5, 5, 6]);
    expect(a.instrs('conv')[0]?.op).toMatchObject({ groups: 2, kernelLayout: 'HWIO' });
  });
});

describe('DepthwiseConv2dNative', () => {
  test('C x multiplier output channels, groups = C, kernel HWOI', () => {
    const a = analyze({ op: 'DepthwiseConv2dNative', x: [1, 6, 6, 3], w: [3, 3, 3, 2], strides: [1, 2, 2, 1] });
    expect(a.shape('conv')).toEqual([1, 3, 3, 6]);
    expect(a.instrs('conv')[0]?.op).toMatchObject({ groups: 3, kernelLayout: 'HWOI', pads: [0, 0, 1, 1] });
  });

  test('NCHW with VALID padding', () => {
    const a = analyze({ op: 'DepthwiseConv2dNative', x: [2, 4, 5, 5], w: [3, 3, 4, 1], padding: 'VALID', format: 'NCHW' });
    expect(a.shape('conv')).toEqual([2, 4, 3, 3]);
    expect(a.instrs('conv')[0]?.op).toMatchObject({ groups: 4, dataLayout: 'NCHW' });
  });
});

const base: ConvCase = { x: [1, 5, 5, 3], w: [3, 3, 3, 4] };
const refusals = (op: string): Record<string, (g: G) => string> => ({
  'input or filter not of rank 4': (g) => conv(g, { op, x: [5, 5, 3], w: [3, 3, 3, 4] }),
  'data_format other than NHWC or NCHW': (g) => conv(g, { ...base, op, format: 'NCDHW' }),
  'strides or dilations on the batch or channel dimension': (g) => conv(g, { ...base, op, strides: [1, 1, 1, 2] }),
  'padding other than SAME, VALID or EXPLICIT': (g) => conv(g, { ...base, op, padding: 'FULL' }),
  'EXPLICIT padding without 8 explicit_paddings': (g) => conv(g, { ...base, op, padding: 'EXPLICIT', explicit: [1, 1, 1, 1] }),
  'a filter whose input channels do not fit the data': (g) => conv(g, { op, x: [1, 5, 5, 3], w: [3, 3, 2, 4] }),
  'a window larger than the padded input': (g) => conv(g, { op, x: [1, 2, 2, 3], w: [3, 3, 3, 4], padding: 'VALID' }),
});

test('dilations on the channel dimension are refused too', () => {
  const a = analyze({ ...base, dilations: [1, 1, 1, 2] });
  expect(a.mark('conv')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: 'dilations on the batch or channel dimension' });
});

/** Conv2DBackpropInput of dy [1, 4, 4, 3] with filter [3, 3, 5, 3] back to `sizes`. */
function convT(
  g: G,
  sizes: number[],
  opts: { dy?: number[]; strides?: number[]; padding?: string; dilations?: number[] } = {},
  dt: number = DT.float,
): string {
  return g.op(
    't',
    'Conv2DBackpropInput',
    [g.const('sizes', [sizes.length], sizes, DT.int32), g.weight('f', [3, 3, 5, 3]), g.ph('dy', opts.dy ?? [1, 4, 4, 3], dt)],
    {
      T: attr.type(dt),
      strides: attr.listI(opts.strides ?? [1, 2, 2, 1]),
      padding: attr.s(opts.padding ?? 'SAME'),
      ...(opts.dilations ? { dilations: attr.listI(opts.dilations) } : {}),
    },
  );
}

test.each([
  // forward input size, padding: the output padding is the row the stride left over
  [[1, 8, 8, 5], 'SAME', [0, 0, 1, 1], [0, 0]],
  [[1, 7, 7, 5], 'SAME', [1, 1, 1, 1], [0, 0]],
  [[1, 9, 9, 5], 'VALID', [0, 0, 0, 0], [0, 0]],
  [[1, 10, 10, 5], 'VALID', [0, 0, 0, 0], [1, 1]],
] as const)('Conv2DBackpropInput back to %j (%s): pads %j, output padding %j', (sizes, padding, pads, outputPadding) => {
  const g = new G();
  convT(g, [...sizes], { padding });
  const a = g.analyze();
  expect(a.shape('t')).toEqual(sizes);
  expect(a.instrs('t')[0]?.op).toMatchObject({ kind: 'conv2d_transpose', strides: [2, 2], pads, outputPadding });
  expect(a.mark('t')).toMatchObject({ ok: true, compute: true });
});

function conv3(
  g: G,
  opts: { x?: number[]; w?: number[]; strides?: number[]; padding?: string; format?: string } = {},
  dt: number = DT.float,
): string {
  return g.op('c3', 'Conv3D', [g.ph('x', opts.x ?? [1, 4, 5, 6, 2], dt), g.weight('f', opts.w ?? [2, 3, 3, 2, 4])], {
    T: attr.type(dt),
    strides: attr.listI(opts.strides ?? [1, 1, 2, 2, 1]),
    padding: attr.s(opts.padding ?? 'SAME'),
    ...(opts.format ? { data_format: attr.s(opts.format) } : {}),
  });
}

test('Conv3D: SAME pads per spatial dimension, NDHWC with the DHWIO filter as is', () => {
  const g = new G();
  conv3(g);
  const a = g.analyze();
  expect(a.shape('c3')).toEqual([1, 4, 3, 3, 4]);
  expect(a.instrs('c3')[0]?.op).toMatchObject({ kind: 'conv3d', strides: [1, 2, 2], pads: [0, 1, 0, 1, 1, 1] });
});

function conv3T(
  g: G,
  sizes: number[] = [1, 5, 6, 7, 4],
  opts: { dy?: number[]; strides?: number[]; padding?: string; dilations?: number[]; format?: string } = {},
  dt: number = DT.float,
): string {
  return g.op(
    't3',
    'Conv3DBackpropInputV2',
    [g.const('sizes', [sizes.length], sizes, DT.int32), g.weight('f', [3, 2, 3, 4, 2]), g.ph('dy', opts.dy ?? [1, 3, 3, 4, 2], dt)],
    {
      T: attr.type(dt),
      Tshape: attr.type(DT.int32),
      strides: attr.listI(opts.strides ?? [1, 2, 2, 2, 1]),
      padding: attr.s(opts.padding ?? 'SAME'),
      ...(opts.dilations ? { dilations: attr.listI(opts.dilations) } : {}),
      ...(opts.format ? { data_format: attr.s(opts.format) } : {}),
    },
  );
}

test('Conv3DBackpropInputV2: the forward pads, and the output padding that gives back input_sizes', () => {
  const g = new G();
  conv3T(g, [2, 8, 5, 6, 4], { dy: [2, 3, 4, 2, 2], strides: [1, 2, 1, 2, 1], padding: 'VALID' });
  const a = g.analyze();
  expect(a.shape('t3')).toEqual([2, 8, 5, 6, 4]);
  expect(a.instrs('t3')[0]?.op).toMatchObject({ kind: 'conv3d_transpose', strides: [2, 1, 2], pads: [0, 0, 0, 0, 0, 0], outputPadding: [1, 0, 1] });
});

refusalContract(convolutionOps, {
  Conv3DBackpropInputV2: {
    'input_sizes, filter or out_backprop not of rank 5': (g) => conv3T(g, [5, 6, 7, 4]),
    'data_format other than NDHWC': (g) => conv3T(g, undefined, { format: 'NCDHW' }),
    'strides or dilations on the batch or channel dimension': (g) => conv3T(g, undefined, { strides: [2, 2, 2, 2, 1] }),
    'dilations other than 1': (g) => conv3T(g, undefined, { dilations: [1, 2, 1, 1, 1] }),
    'padding other than SAME or VALID': (g) => conv3T(g, undefined, { padding: 'EXPLICIT' }),
    'sizes that do not fit the forward convolution': (g) => conv3T(g, [1, 9, 6, 7, 4]),
  },
  Conv3D: {
    'input or filter not of rank 5': (g) => conv3(g, { x: [1, 4, 5, 2] }),
    'data_format other than NDHWC': (g) => conv3(g, { format: 'NCDHW' }),
    'strides or dilations on the batch or channel dimension': (g) => conv3(g, { strides: [2, 1, 1, 1, 1] }),
    'padding other than SAME or VALID': (g) => conv3(g, { padding: 'EXPLICIT' }),
    'grouped filters (input channels that differ from the data)': (g) => conv3(g, { w: [2, 3, 3, 1, 4] }),
  },
  Conv2D: refusals('Conv2D'),
  DepthwiseConv2dNative: refusals('DepthwiseConv2dNative'),
  Conv2DBackpropInput: {
    'input_sizes, filter or out_backprop not of rank 4': (g) => convT(g, [8, 8, 5]),
    'dilations other than 1': (g) => convT(g, [1, 8, 8, 5], { dilations: [1, 2, 2, 1] }),
    'sizes that do not fit the forward convolution': (g) => convT(g, [1, 12, 12, 5]),
  },
});
dtypeContract(convolutionOps, {
  Conv3DBackpropInputV2: (g, dt) => conv3T(g, undefined, {}, dt),
  Conv2D: (g, dt) => conv(g, base, dt),
  DepthwiseConv2dNative: (g, dt) => conv(g, { ...base, op: 'DepthwiseConv2dNative' }, dt),
  Conv2DBackpropInput: (g, dt) => convT(g, [1, 8, 8, 5], {}, dt),
  Conv3D: (g, dt) => conv3(g, {}, dt),
});

/** SpaceToBatchND(block, paddings) -> Conv2D (VALID, or `padding`) -> BatchToSpaceND(block, crops). */
function atrous(
  g: G,
  x: number[],
  f: number[],
  block: number[],
  paddings: number[],
  crops: number[],
  opts: { padding?: string; op?: string; strides?: number[] } = {},
): void {
  const s2b = g.op('s2b', 'SpaceToBatchND', [g.ph('x', x), g.const('b', [2], block, DT.int32), g.const('p', [2, 2], paddings, DT.int32)], {
    Tblock_shape: attr.type(DT.int32),
    Tpaddings: attr.type(DT.int32),
  });
  const conv = g.op('conv', opts.op ?? 'Conv2D', [s2b, g.weight('w', f)], {
    strides: attr.listI(opts.strides ?? [1, 1, 1, 1]),
    padding: attr.s(opts.padding ?? 'VALID'),
  });
  g.op('b2s', 'BatchToSpaceND', [conv, g.const('b2', [2], block, DT.int32), g.const('c', [2, 2], crops, DT.int32)], {
    Tblock_shape: attr.type(DT.int32),
    Tcrops: attr.type(DT.int32),
  });
}

describe('SpaceToBatchND -> conv -> BatchToSpaceND is one dilated conv2d', () => {
  test.each([
    // tf.nn.atrous_conv2d(x [1, 9, 7], 3x3, rate 2, SAME): paddings [[2, 3], [2, 3]], crops [[0, 1], [0, 1]].
    ['Conv2D', [1, 9, 7, 3], [3, 3, 3, 4], [2, 2], [2, 3, 2, 3], [0, 1, 0, 1], 'VALID', [2, 2, 2, 2]],
    // Rates 3 and 2, VALID: paddings only to a multiple of the block, cropped again.
    ['Conv2D', [1, 10, 9, 2], [2, 3, 2, 4], [3, 2], [0, 2, 0, 1], [0, 2, 0, 1], 'VALID', [0, 0, 0, 0]],
    // A SAME conv inside pads each batch by q: b * q around the input.
    ['DepthwiseConv2dNative', [1, 8, 8, 2], [3, 3, 2, 1], [2, 2], [0, 0, 0, 0], [0, 0, 0, 0], 'SAME', [2, 2, 2, 2]],
  ] as const)('%s on %j', (op, x, f, block, paddings, crops, padding, pads) => {
    const g = new G();
    atrous(g, [...x], [...f], [...block], [...paddings], [...crops], { padding, op });
    const a = g.analyze();
    expect(a.instrs('s2b')).toEqual([]);
    expect(a.instrs('b2s')).toEqual([]);
    expect(a.instrs('conv').map((i) => i.op)).toEqual([
      expect.objectContaining({ kind: 'conv2d', dilations: [...block], strides: [1, 1], pads: [pads[0], pads[1], pads[2], pads[3]] }),
    ]);
    expect(a.instrs('conv')[0]!.type.shape).toEqual(a.shape('b2s'));
  });

  test('a strided conv inside is lowered op by op', () => {
    const g = new G();
    atrous(g, [1, 8, 8, 2], [3, 3, 2, 4], [2, 2], [0, 0, 0, 0], [0, 0, 0, 0], { strides: [1, 2, 2, 1], padding: 'SAME' });
    const a = g.analyze();
    expect(a.instrs('s2b').length).toBeGreaterThan(0);
    expect(a.instrs('conv')[0]?.op).toMatchObject({ kind: 'conv2d', dilations: [1, 1] });
  });
});
