// The op tables through the real passes (infer-shapes .. encapsulate, with the
// IR verifier on): output types, compile-time folds, the IR a node lowers to,
// and the reason a node outside an op's constraints is refused with.

import { batchNormConstants } from '../../ir/tf/ops/normalization.js';
import { attr, DT, G, values } from './helpers.js';

const conv = (g: G, x: string, cin: number, cout: number): string =>
  g.op('conv', 'Conv2D', [x, g.weight('conv/w', [3, 3, cin, cout])], { strides: attr.listI([1, 1, 1, 1]), padding: attr.s('SAME') });

describe('shape computations fold to constants', () => {
  test('Keras Flatten: Shape -> StridedSlice -> Pack -> Reshape gives a static reshape', () => {
    const g = new G();
    const h = conv(g, g.ph('x', [2, 4, 4, 3]), 3, 2);
    g.op('shape', 'Shape', [h]);
    g.const('b', [1], [0], DT.int32);
    g.const('e', [1], [1], DT.int32);
    g.const('s', [1], [1], DT.int32);
    g.op('batch', 'StridedSlice', ['shape', 'b', 'e', 's'], { T: attr.type(DT.int32), Index: attr.type(DT.int32), shrink_axis_mask: attr.i(1) });
    g.const('minus1', [], [-1], DT.int32);
    g.op('target', 'Pack', ['batch', 'minus1'], { T: attr.type(DT.int32), N: attr.i(2), axis: attr.i(0) });
    g.op('flat', 'Reshape', [h, 'target']);
    g.op('out', 'Identity', ['flat']);
    const a = g.analyze();
    expect(values(a.value('batch'))).toEqual([2]);
    expect(a.shape('batch')).toEqual([]);
    expect(values(a.value('target'))).toEqual([2, -1]);
    expect(a.shape('flat')).toEqual([2, 32]);
    expect(a.clustered('flat')).toBe(true);
    expect(a.kinds('flat')).toEqual(['reshape']);
  });

  test('int64 shape arithmetic: Mul, Cast, ConcatV2, Prod and Slice on constants', () => {
    const g = new G();
    g.ph('x', [2, 4, 6]);
    g.op('shape', 'Shape', ['x'], { out_type: attr.type(DT.int64) });
    g.const('four', [1], [4], DT.int64);
    g.const('b', [1], [0], DT.int64);
    g.const('sz', [1], [1], DT.int64);
    g.op('batch', 'Slice', ['shape', 'b', 'sz'], { T: attr.type(DT.int64), Index: attr.type(DT.int64) });
    g.op('rows', 'Mul', ['batch', 'four'], { T: attr.type(DT.int64) });
    g.op('rows32', 'Cast', ['rows'], { SrcT: attr.type(DT.int64), DstT: attr.type(DT.int32) });
    g.const('rest', [1], [-1], DT.int32);
    g.const('axis', [], [0], DT.int32);
    g.op('target', 'ConcatV2', ['rows32', 'rest', 'axis'], { T: attr.type(DT.int32), N: attr.i(2) });
    g.const('all', [1], [0], DT.int32);
    g.op('numel', 'Prod', ['shape', 'all'], { T: attr.type(DT.int64) });
    g.op('y', 'Reshape', ['x', 'target']);
    const a = g.analyze();
    expect(values(a.value('rows'))).toEqual([8]);
    expect(a.value('rows32')?.dtype).toBe('int32');
    expect(values(a.value('target'))).toEqual([8, -1]);
    expect(values(a.value('numel'))).toEqual([48]);
    expect(a.shape('y')).toEqual([8, 6]);
  });

  test('Cast folds with truncation toward zero, Transpose and Pack fold element order', () => {
    const g = new G();
    g.const('f', [2, 3], [-1.5, 2.7, 0.2, -0.9, 3, 100.5]);
    g.op('i', 'Cast', ['f'], { SrcT: attr.type(DT.float), DstT: attr.type(DT.int32) });
    g.const('perm', [2], [1, 0], DT.int32);
    g.op('t', 'Transpose', ['i', 'perm'], { T: attr.type(DT.int32) });
    g.op('p', 'Pack', ['i', 'i'], { T: attr.type(DT.int32), N: attr.i(2), axis: attr.i(-1) });
    const a = g.analyze();
    expect(values(a.value('i'))).toEqual([-1, 2, 0, 0, 3, 100]);
    expect(values(a.value('t'))).toEqual([-1, 0, 2, 3, 0, 100]);
    expect(a.shape('p')).toEqual([2, 3, 2]);
    expect(values(a.value('p'))).toEqual([-1, -1, 2, 2, 0, 0, 0, 0, 3, 3, 100, 100]);
  });
});

describe('FusedBatchNorm', () => {
  const bn = (opts: { training?: boolean; format?: 'NHWC' | 'NCHW'; useMean?: boolean } = {}) => {
    const g = new G();
    const nchw = opts.format === 'NCHW';
    const x = g.ph('x', nchw ? [1, 3, 4, 4] : [1, 4, 4, 3]);
    g.const('gamma', [3], [1, 2, 0.5]);
    g.const('beta', [3], [0.1, -0.2, 0.3]);
    g.const('mean', [3], [0.5, -1, 2]);
    g.const('var', [3], [1, 4, 0.25]);
    g.op('bn', 'FusedBatchNormV3', [x, 'gamma', 'beta', 'mean', 'var'], {
      U: attr.type(DT.float),
      epsilon: attr.f(1e-3),
      data_format: attr.s(opts.format ?? 'NHWC'),
      ...(opts.training === undefined ? {} : { is_training: attr.b(opts.training) }),
    });
    g.op('relu', 'Relu', ['bn']);
    if (opts.useMean) g.op('m', 'Identity', ['bn:1']);
    return g.analyze();
  };

  test('inference: one multiply and one add with scale and shift precomputed in float64', () => {
    const a = bn({ training: false });
    expect(a.kinds('bn')).toEqual(['binary.mul', 'binary.add']);
    const weights = a.state.functions[0]!.fn.params.flatMap((p) => (p.kind === 'weight' && p.source.startsWith('bn/') ? [p] : []));
    expect(weights.map((w) => [w.source, w.type.shape])).toEqual([
      ['bn/scale', [3]],
      ['bn/shift', [3]],
    ]);
    const eps = Math.fround(1e-3);
    const want = batchNormConstants([1, 2, 0.5], [0.1, -0.2, 0.3], [0.5, -1, 2], [1, 4, 0.25], eps);
    const got = weights.map((w) => Array.from(new Float32Array(w.data.bytes.buffer, w.data.bytes.byteOffset, 3)));
    expect(got).toEqual([want.scale, want.shift]);
    // scale = gamma / sqrt(var + eps), shift = beta - mean * scale.
    expect(want.scale[1]).toBeCloseTo(2 / Math.sqrt(4 + eps), 6);
    expect(want.shift[2]).toBeCloseTo(0.3 - 2 * (0.5 / Math.sqrt(0.25 + eps)), 5);
  });

  test('NCHW broadcasts the per-channel constants as [C, 1, 1]', () => {
    const a = bn({ training: false, format: 'NCHW' });
    const [mul] = a.instrs('bn');
    const fn = a.state.functions[0]!.fn;
    const w = fn.params.find((p) => p.id === mul!.op.args[1]);
    expect(w?.type.shape).toEqual([3, 1, 1]);
    expect(a.shape('bn')).toEqual([1, 3, 4, 4]);
  });

  test('training mode (also the attr default) is refused, and the consumer keeps its type', () => {
    for (const training of [true, undefined]) {
      const a = bn(training === undefined ? {} : { training });
      expect(a.mark('bn')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: expect.stringContaining('is_training') as unknown });
      expect(a.shape('relu')).toEqual([1, 4, 4, 3]);
      expect(a.clustered('relu')).toBe(true);
    }
  });

  test('a consumed batch_mean output refuses the node', () => {
    const a = bn({ training: false, useMean: true });
    expect(a.mark('bn')).toMatchObject({
      ok: false,
      reason: 'unsupported-variant',
      message: expect.stringContaining('output 1 (batch_mean) is used') as unknown,
    });
    expect(a.shape('m')).toEqual([3]);
  });
});

describe('constraints are refused with a reason', () => {
  test('BatchMatMulV2 broadcasts any batch: [3,1] x [1,3] is one dense product of 12 x 18 rows', () => {
    const g = new G();
    g.op('mm', 'BatchMatMulV2', [g.ph('a', [3, 1, 4, 5]), g.ph('b', [1, 3, 5, 6])]);
    g.op('ok', 'BatchMatMulV2', [g.ph('c', [1, 3, 4, 5]), g.ph('d', [3, 5, 6])]);
    g.op('bad', 'BatchMatMulV2', [g.ph('e', [2, 4, 5]), g.ph('f', [3, 5, 6])]);
    const a = g.analyze();
    expect(a.shape('mm')).toEqual([3, 3, 4, 6]);
    expect(a.kinds('mm')).toEqual(['reshape', 'reshape', 'reshape', 'transpose', 'reshape', 'dense', 'reshape', 'transpose']);
    expect(a.shape('ok')).toEqual([1, 3, 4, 6]);
    // The leading 1 is reshaped away and back: a plain batch_matmul in between.
    expect(a.kinds('ok')).toEqual(['reshape', 'batch_matmul', 'reshape']);
    expect(a.mark('bad')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: 'batch dimensions [2] and [3] do not broadcast' });
  });

  test('Einsum outside the supported forms names its equation', () => {
    const g = new G();
    g.op('e', 'Einsum', [g.ph('a', [2, 3]), g.ph('b', [3, 3])], { equation: attr.s('ij,jj->i'), N: attr.i(2) });
    expect(g.analyze().mark('e')).toMatchObject({
      ok: false,
      reason: 'unsupported-variant',
      message: "Einsum 'ij,jj->i': operand 1 repeats a label (diagonals are not supported)",
    });
  });

  test("Einsum 'abc,cd->abd' with a constant kernel lowers to reshape, dense, reshape", () => {
    const g = new G();
    g.op('e', 'Einsum', [g.ph('a', [2, 3, 4]), g.weight('k', [4, 5])], { equation: attr.s('abc,cd->abd'), N: attr.i(2) });
    const a = g.analyze('compute');
    expect(a.shape('e')).toEqual([2, 3, 5]);
    expect(a.kinds('e')).toEqual(['reshape', 'dense', 'reshape']);
    const dense = a.instrs('e')[1]!;
    const w = a.state.functions[0]!.fn.params.find((p) => p.id === dense.op.args[1]);
    expect(w?.type.shape).toEqual([5, 4]);
  });

  test('reduction axes must be constant; integer Max and Mean are lowered (Mean as TF truncates: int64 sum, trunc_div, cast back)', () => {
    const g = new G();
    const x = g.ph('x', [2, 3, 4]);
    g.op('m', 'Mean', [x, g.ph('axes', [1], DT.int32)], { Tidx: attr.type(DT.int32) });
    g.op('k', 'Sum', [x, g.const('ax', [2], [0, -1], DT.int32)], { Tidx: attr.type(DT.int32), keep_dims: attr.b(true) });
    g.op('i', 'Max', [g.ph('xi', [2, 3], DT.int32), g.const('ax1', [], [1], DT.int32)], { T: attr.type(DT.int32), Tidx: attr.type(DT.int32) });
    g.op('im', 'Mean', [g.ph('xm', [2, 3], DT.int32), g.const('ax2', [], [1], DT.int32)], { T: attr.type(DT.int32), Tidx: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.mark('m')).toMatchObject({ ok: false, reason: 'needs-constant' });
    expect(a.shape('k')).toEqual([1, 3, 1]);
    expect(a.instrs('k')[0]?.op).toMatchObject({ kind: 'reduce', fn: 'sum', axes: [0, 2], keepDims: true });
    expect(a.shape('i')).toEqual([2]);
    expect(a.mark('i')).toMatchObject({ ok: true });
    expect(a.shape('im')).toEqual([2]);
    expect(a.mark('im')).toMatchObject({ ok: true });
    expect(a.instrs('im').map((i) => (i.op.kind === 'binary' ? `binary ${i.op.fn}` : i.op.kind))).toEqual([
      'cast',
      'reduce',
      'binary trunc_div',
      'cast',
    ]);
  });

  test('MirrorPad REFLECT cannot pad by the full size; negative paddings are refused', () => {
    const g = new G();
    const x = g.ph('x', [3, 4]);
    g.op('ok', 'MirrorPad', [x, g.const('p1', [2, 2], [2, 2, 3, 0], DT.int32)], { mode: attr.s('REFLECT'), Tpaddings: attr.type(DT.int32) });
    g.op('big', 'MirrorPad', [x, g.const('p2', [2, 2], [3, 0, 0, 0], DT.int32)], { mode: attr.s('REFLECT'), Tpaddings: attr.type(DT.int32) });
    g.op('sym', 'MirrorPad', [x, g.const('p3', [2, 2], [3, 0, 0, 0], DT.int32)], { mode: attr.s('SYMMETRIC'), Tpaddings: attr.type(DT.int32) });
    g.op('crop', 'Pad', [x, g.const('p4', [2, 2], [-1, 0, 0, 0], DT.int32)], { Tpaddings: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.shape('ok')).toEqual([7, 7]);
    expect(a.instrs('ok')[0]?.op).toMatchObject({
      kind: 'pad',
      mode: 'reflect',
      pads: [
        [2, 2],
        [3, 0],
      ],
    });
    expect(a.mark('big')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: expect.stringContaining('exceeds 2') as unknown });
    expect(a.shape('sym')).toEqual([6, 4]);
    expect(a.mark('crop')).toMatchObject({
      ok: false,
      reason: 'unsupported-variant',
      message: expect.stringContaining('negative paddings') as unknown,
    });
  });

  test('Squeeze of a dimension that is not 1, and an empty StridedSlice, are refused', () => {
    const g = new G();
    const x = g.ph('x', [1, 3, 1]);
    g.op('sq', 'Squeeze', [x], { squeeze_dims: attr.listI([1]) });
    g.op('all', 'Squeeze', [x]);
    g.op('ex', 'ExpandDims', [x, g.const('d', [], [-1], DT.int32)], { Tdim: attr.type(DT.int32) });
    const i = (n: string, v: number[]): string => g.const(n, [3], v, DT.int32);
    g.op('empty', 'StridedSlice', [x, i('b', [0, 2, 0]), i('e', [1, 1, 1]), i('s', [1, 1, 1])], { Index: attr.type(DT.int32) });
    const a = g.analyze();
    expect(a.mark('sq')).toMatchObject({ ok: false, reason: 'unsupported-variant' });
    expect(a.shape('all')).toEqual([3]);
    expect(a.shape('ex')).toEqual([1, 3, 1, 1]);
    expect(a.mark('empty')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: 'the slice is empty' });
  });

  test('pooling refuses windows across channels; AvgPool SAME keeps explicit pads', () => {
    const g = new G();
    const x = g.ph('x', [1, 5, 5, 2]);
    g.op('bad', 'MaxPool', [x], { ksize: attr.listI([1, 2, 2, 2]), strides: attr.listI([1, 1, 1, 1]), padding: attr.s('VALID') });
    g.op('avg', 'AvgPool', [x], { ksize: attr.listI([1, 3, 3, 1]), strides: attr.listI([1, 2, 2, 1]), padding: attr.s('SAME') });
    const a = g.analyze();
    expect(a.mark('bad')).toMatchObject({ ok: false, reason: 'unsupported-variant', message: expect.stringContaining('channel') as unknown });
    expect(a.shape('avg')).toEqual([1, 3, 3, 2]);
    expect(a.instrs('avg')[0]?.op).toMatchObject({ kind: 'pool2d', fn: 'avg', pads: [1, 1, 1, 1], strides: [2, 2], size: [3, 3] });
  });
});
