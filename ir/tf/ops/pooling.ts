// MaxPool / AvgPool (and MaxPoolV2, whose ksize and strides are inputs): TF
// padding modes become explicit pads, data_format stays explicit. AvgPool with
// SAME padding averages only the real elements, as the IR's pool2d avg does.
// MaxPool takes every number dtype, AvgPool the floats and bfloat16.
// The output type is the IR pool2d's own type rule applied to the op the node
// lowers to.
//
// Dilation2D (grayscale morphological dilation: a max over the window of
// input + filter, per channel) is unrolled over the filter's taps: each tap
// is a strided slice of the zero-padded input plus that tap's filter row,
// with the output positions where the tap falls in the padding replaced by
// the dtype's lowest value (TensorFlow skips those taps, its max starts at
// lowest()), then the elementwise max of the taps.

import { windowedOutputSize } from '../../infer.js';
import type { Op, ValueId } from '../../ops.js';
import type { DType, TensorType } from '../../types.js';
import { makeConst, type ConstTensor } from '../consts.js';
import { Unsupported, type LowerCtx, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import {
  ALL_NUMBER_DTYPES,
  BF16_FLOAT_DTYPES,
  constIntsOf,
  dataFormat,
  input,
  inputOf,
  irType,
  padding,
  spatialPair,
  spatialTriple,
  window3d,
  windowPads,
} from './common.js';

/**
 * MaxPool's and MaxPoolV2's dtypes: TensorFlow's CPU kernels, every number
 * dtype. A max is exact in any dtype (TVM pads with the dtype's lowest value,
 * as TensorFlow's max starts from lowest()); bfloat16 is computed in float32
 * (backends/relay/emit.ts), exactly too. TensorFlow's integer kernels run NHWC
 * only (NCHW fails there at run time).
 */
const MAX_POOL_DTYPES: readonly DType[] = ALL_NUMBER_DTYPES;
/** AvgPool's: the floats and bfloat16 (computed in float32 and rounded once, as TensorFlow's). */
const AVG_POOL_DTYPES: readonly DType[] = BF16_FLOAT_DTYPES;

/** The IR pool2d a pooling node lowers to. */
function poolOp(c: NodeCtx, fn: 'max' | 'avg', fromInputs: boolean, arg: ValueId): Extract<Op, { kind: 'pool2d' }> {
  const layout = dataFormat(c);
  const x = inputOf(c, 0, fn === 'max' ? MAX_POOL_DTYPES : AVG_POOL_DTYPES);
  if (x.shape.length !== 4) throw new Unsupported('input must be rank 4');
  const size = spatialPair(fromInputs ? constIntsOf(c, 1) : c.attrs.ints('ksize'), layout, 'ksize');
  const strides = spatialPair(fromInputs ? constIntsOf(c, 2) : c.attrs.ints('strides'), layout, 'strides');
  const pads = windowPads(c, x, layout, size, strides);
  return { kind: 'pool2d', fn, args: [arg], size, strides, pads, layout };
}

function pool(fn: 'max' | 'avg', fromInputs = false): TfOpDef {
  return {
    category: 'pooling',
    dtypes: fn === 'max' ? MAX_POOL_DTYPES : AVG_POOL_DTYPES,
    refuses: [
      { variant: 'input not of rank 4', reason: 'unsupported-variant' },
      { variant: 'data_format other than NHWC or NCHW', reason: 'unsupported-variant' },
      { variant: 'ksize or strides on the batch or channel dimension', reason: 'unsupported-variant' },
      { variant: 'padding other than SAME, VALID or EXPLICIT', reason: 'unsupported-variant' },
      { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
    ],
    constInputs: fromInputs ? [1, 2] : [],
    infer: (c) => [irType(poolOp(c, fn, fromInputs, 0), [input(c, 0)])],
    lower: (c) => [c.emit(poolOp(c, fn, fromInputs, c.value(0)), c.outputs[0]!)],
  };
}

/** MaxPool3D and AvgPool3D: TensorFlow's CPU kernels are float32 and bfloat16 (computed in float32) only. */
const POOL3D_DTYPES: readonly DType[] = ['float32', 'bfloat16'];

function pool3dOp(c: NodeCtx, fn: 'max' | 'avg', arg: ValueId): Op {
  const x = inputOf(c, 0, POOL3D_DTYPES);
  if (x.shape.length !== 5) throw new Unsupported('input must be rank 5');
  const size = spatialTriple(c, c.attrs.ints('ksize'), 'ksize');
  const strides = spatialTriple(c, c.attrs.ints('strides'), 'strides');
  return { kind: 'pool3d', fn, args: [arg], size, strides, pads: window3d(c, x, size, strides) };
}

function pool3d(fn: 'max' | 'avg'): TfOpDef {
  return {
    category: 'pooling',
    dtypes: POOL3D_DTYPES,
    refuses: [
      { variant: 'input not of rank 5', reason: 'unsupported-variant' },
      { variant: 'data_format other than NDHWC', reason: 'unsupported-variant' },
      { variant: 'ksize or strides on the batch or channel dimension', reason: 'unsupported-variant' },
      { variant: 'padding other than SAME or VALID', reason: 'unsupported-variant' },
      { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
    ],
    infer: (c) => [irType(pool3dOp(c, fn, 0), [inputOf(c, 0, POOL3D_DTYPES)])],
    lower: (c) => [c.emit(pool3dOp(c, fn, c.value(0)), c.outputs[0]!)],
  };
}

/** The most filter taps Dilation2D is unrolled over. */
export const DILATION_MAX_TAPS = 256;

interface DilationPlan {
  readonly x: TensorType;
  readonly filter: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly rates: readonly [number, number];
  /** [top, left, bottom, right]. */
  readonly pads: readonly [number, number, number, number];
  readonly out: readonly [number, number];
}

function dilationPlan(c: NodeCtx): DilationPlan {
  const x = inputOf(c, 0, ALL_NUMBER_DTYPES);
  const f = input(c, 1);
  if (x.shape.length !== 4 || f.shape.length !== 3) throw new Unsupported('the input must be rank 4 (NHWC) and the filter rank 3');
  if (f.dtype !== x.dtype) throw new Unsupported(`the filter's dtype ${f.dtype} differs from the input's ${x.dtype}`);
  if (f.shape[2] !== x.shape[3]) throw new Unsupported(`filter depth ${f.shape[2]} differs from the input's ${x.shape[3]} channels`);
  const strides = spatialPair(c.attrs.ints('strides'), 'NHWC', 'strides');
  const rates = spatialPair(c.attrs.ints('rates'), 'NHWC', 'rates');
  const mode = c.attrs.str('padding');
  if (mode !== 'SAME' && mode !== 'VALID') throw new Unsupported(`padding ${mode} is not supported`);
  const [fh, fw] = [f.shape[0]!, f.shape[1]!];
  if (fh * fw > DILATION_MAX_TAPS) throw new Unsupported(`a filter of ${fh * fw} taps (at most ${DILATION_MAX_TAPS} are unrolled)`);
  const ph = padding(mode, x.shape[1]!, fh, strides[0], rates[0]);
  const pw = padding(mode, x.shape[2]!, fw, strides[1], rates[1]);
  const out: [number, number] = [
    windowedOutputSize(x.shape[1]!, fh, strides[0], rates[0], ph[0], ph[1]),
    windowedOutputSize(x.shape[2]!, fw, strides[1], rates[1], pw[0], pw[1]),
  ];
  if (out[0] < 1 || out[1] < 1) throw new Unsupported('the window is larger than the padded input');
  return { x, filter: [fh, fw], strides, rates, pads: [ph[0], pw[0], ph[1], pw[1]], out };
}

/** The lowest finite value of a dtype, as a scalar constant (half types as their bit patterns). */
function lowestConst(dtype: DType): ConstTensor {
  if (dtype === 'float16') return { dtype, shape: [], data: Uint16Array.of(0xfbff) };
  if (dtype === 'bfloat16') return { dtype, shape: [], data: Uint16Array.of(0xff7f) };
  const lowest: Partial<Record<DType, number>> = {
    float32: -3.4028234663852886e38,
    float64: -Number.MAX_VALUE,
    int8: -128,
    uint8: 0,
    int16: -32768,
    int32: -2147483648,
  };
  if (dtype === 'int64') return { dtype, shape: [], data: BigInt64Array.of(-(2n ** 63n)) };
  return makeConst(dtype, [], [lowest[dtype]!]);
}

function lowerDilation(c: LowerCtx): ValueId {
  const p = dilationPlan(c);
  const [n, h, w, ch] = p.x.shape as [number, number, number, number];
  const [oh, ow] = p.out;
  const [pt, pl, pb, pr] = p.pads;
  const dtype = p.x.dtype;
  const outType: TensorType = { dtype, shape: [n, oh, ow, ch] };
  let x = c.value(0);
  if (p.pads.some((v) => v > 0)) {
    const padded: TensorType = { dtype, shape: [n, h + pt + pb, w + pl + pr, ch] };
    x = c.emit(
      {
        kind: 'pad',
        args: [x],
        pads: [
          [0, 0],
          [pt, pb],
          [pl, pr],
          [0, 0],
        ],
        mode: 'constant',
        value: 0,
      },
      padded,
    );
  }
  let lowest: ValueId | undefined;
  let acc: ValueId | undefined;
  for (let dy = 0; dy < p.filter[0]; dy++) {
    for (let dx = 0; dx < p.filter[1]; dx++) {
      const [y0, x0] = [dy * p.rates[0], dx * p.rates[1]];
      const tap = c.emit(
        {
          kind: 'strided_slice',
          args: [x],
          begin: [0, y0, x0, 0],
          end: [n, y0 + (oh - 1) * p.strides[0] + 1, x0 + (ow - 1) * p.strides[1] + 1, ch],
          strides: [1, p.strides[0], p.strides[1], 1],
        },
        outType,
      );
      const row = c.emit(
        { kind: 'strided_slice', args: [c.value(1)], begin: [dy, dx, 0], end: [dy + 1, dx + 1, ch], strides: [1, 1, 1] },
        { dtype, shape: [1, 1, ch] },
      );
      let v = c.emit({ kind: 'binary', fn: 'add', args: [tap, row] }, outType);
      // Where the tap reads the padding, TensorFlow has no term: the lowest value stands in.
      const inside = (o: number, stride: number, off: number, pad: number, size: number): boolean =>
        o * stride + off - pad >= 0 && o * stride + off - pad < size;
      const mask: number[] = [];
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) mask.push(inside(oy, p.strides[0], y0, pt, h) && inside(ox, p.strides[1], x0, pl, w) ? 1 : 0);
      if (mask.includes(0)) {
        lowest ??= c.weight(lowestConst(dtype), 'lowest');
        const m = c.weight(makeConst('bool', [1, oh, ow, 1], mask), 'inside');
        v = c.emit({ kind: 'select', args: [m, v, lowest] }, outType);
      }
      acc = acc === undefined ? v : c.emit({ kind: 'binary', fn: 'max', args: [acc, v] }, outType);
    }
  }
  return acc!;
}

const dilation2d: TfOpDef = {
  category: 'pooling',
  dtypes: ALL_NUMBER_DTYPES,
  refuses: [
    { variant: 'an input not of rank 4 or a filter not of rank 3', reason: 'unsupported-variant' },
    { variant: "a filter whose depth or dtype differs from the input's", reason: 'unsupported-variant' },
    { variant: 'strides or rates on the batch or channel dimension', reason: 'unsupported-variant' },
    { variant: 'padding other than SAME or VALID', reason: 'unsupported-variant' },
    { variant: 'a filter of more than 256 taps', reason: 'unsupported-variant' },
    { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const p = dilationPlan(c);
    return [{ dtype: p.x.dtype, shape: [p.x.shape[0]!, p.out[0], p.out[1], p.x.shape[3]!] }];
  },
  lower: (c) => [lowerDilation(c)],
};

export const poolingOps: OpTable = {
  Dilation2D: dilation2d,
  MaxPool3D: pool3d('max'),
  AvgPool3D: pool3d('avg'),
  MaxPool: pool('max'),
  MaxPoolV2: pool('max', true),
  AvgPool: pool('avg'),
};
