// Mean / Sum / Max / Min / Prod over constant axes, with keep_dims, in every
// number dtype. TF's integer Mean sums in int64 (uint64 for uint8) and
// divides with truncation toward zero: lowered as exactly that (cast, sum,
// trunc_div, cast back), not as the IR's mean. Integer constants fold (shape arithmetic such as the product of a static shape's
// tail). All / Any reduce bool data, EuclideanNorm is sqrt(sum(x^2)) (integers:
// the sum wraps in the dtype, its sqrt truncated, as TensorFlow's), and
// Cumsum / Cumprod scan an axis (exclusive, reverse) as log2(n) shifted adds
// or multiplies: Relay's cumsum has no text form. Bincount and DenseBincount
// count (or sum the weights of) each value in [0, size): a one-hot of the
// values, times the weights, summed over the values (max for binary_output);
// values outside [0, size) have no one-hot position and so are ignored, as
// TensorFlow ignores those >= size (it rejects negative ones).

import { reducedShape } from '../../infer.js';
import type { Op, ReduceFn, ValueId } from '../../ops.js';
import { makeConst, stridesOf, type ConstTensor } from '../consts.js';
import type { NodeCtx, OpTable, TfOpDef } from '../registry.js';
import { isFloat, numElements, type DType, type TensorType } from '../../types.js';
import { Unsupported, type LowerCtx } from '../registry.js';
import { ALL_NUMBER_DTYPES, axisIn, constIntsOf, constScalarOf, input, inputOf, irType } from './common.js';

/** Sorted, deduplicated, non-negative reduction axes (a scalar or a vector input). */
function axesOf(c: NodeCtx, rank: number): number[] {
  const raw = constIntsOf(c, 1);
  return [...new Set(raw.map((a) => axisIn(a, rank, 'reduction axis')))].sort((a, b) => a - b);
}

/** The IR reduce the node lowers to (and whose type rule types it, integer data included). */
function reduceOp(c: NodeCtx, fn: ReduceFn, arg: ValueId): Op {
  return { kind: 'reduce', fn, args: [arg], axes: axesOf(c, input(c, 0).shape.length), keepDims: c.attrs.bool('keep_dims') };
}

const INT_REDUCE: Partial<Record<ReduceFn, { init: bigint; f: (a: bigint, b: bigint) => bigint }>> = {
  sum: { init: 0n, f: (a, b) => a + b },
  prod: { init: 1n, f: (a, b) => a * b },
  max: { init: -(2n ** 63n), f: (a, b) => (a > b ? a : b) },
  min: { init: 2n ** 63n - 1n, f: (a, b) => (a < b ? a : b) },
};

/**
 * TensorFlow's integer Mean: the sum in int64 (exact for int8/uint8/int16/int32
 * data; int64 wraps as TF's does), divided by the count with truncation toward
 * zero, cast back to the data's dtype (the mean is always in its range).
 */
function lowerIntegerMean(c: LowerCtx): ValueId {
  const x = c.inputs[0]!;
  const out = c.outputs[0]!;
  const wide = (t: TensorType): TensorType => ({ dtype: 'int64', shape: t.shape });
  const count = numElements(x.shape) / numElements(out.shape);
  const v = x.dtype === 'int64' ? c.value(0) : c.emit({ kind: 'cast', args: [c.value(0)], dtype: 'int64' }, wide(x));
  const sum = c.emit(reduceOp(c, 'sum', v), wide(out));
  const n = c.weight(makeConst('int64', [], [count]), 'count');
  const mean = c.emit({ kind: 'binary', fn: 'trunc_div', args: [sum, n] }, wide(out));
  return x.dtype === 'int64' ? mean : c.emit({ kind: 'cast', args: [mean], dtype: x.dtype }, out);
}

function reduce(fn: ReduceFn, dtypes: readonly DType[]): TfOpDef {
  return {
    category: 'reduction',
    constInputs: [1],
    dtypes,
    refuses: [
      { variant: 'a reduction axis out of range', reason: 'unsupported-variant' },
      ...(fn === 'mean'
        ? [{ variant: 'an integer Mean over no elements (TensorFlow divides by zero)', reason: 'unsupported-variant' as const }]
        : []),
    ],
    // Every input is typed (so integer constants fold) but only `dtypes` are lowered: see check.
    infer: (c) => [irType(reduceOp(c, fn, 0), [input(c, 0)])],
    check(c) {
      const x = inputOf(c, 0, dtypes);
      if (fn === 'mean' && !isFloat(x.dtype) && numElements(x.shape) === 0) return 'an integer Mean over no elements';
      return undefined;
    },
    fold(c) {
      const v = c.constInput(0);
      const op = INT_REDUCE[fn];
      if (!v || !op || (v.dtype !== 'int32' && v.dtype !== 'int64')) return undefined;
      const axes = axesOf(c, v.shape.length);
      const keep = c.attrs.bool('keep_dims');
      const outShape = reducedShape(v.shape, axes, keep);
      // Accumulate every input element into the output cell it reduces to.
      const keptDims = v.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const keptShape = keptDims.map((i) => v.shape[i]!);
      const keptStrides = stridesOf(keptShape);
      const acc = new Array<bigint>(keptShape.reduce((a, b) => a * b, 1)).fill(op.init);
      const vals = Array.from(v.data as Iterable<number | bigint>, (x) => BigInt(x));
      const st = stridesOf(v.shape);
      vals.forEach((x, flat) => {
        let cell = 0;
        keptDims.forEach((d, j) => (cell += (Math.floor(flat / st[d]!) % v.shape[d]!) * keptStrides[j]!));
        acc[cell] = op.f(acc[cell]!, x);
      });
      const bits = v.dtype === 'int64' ? 64 : 32;
      const out = acc.map((a) => Number(BigInt.asIntN(bits, a)));
      if (out.some((n) => !Number.isSafeInteger(n))) return undefined;
      return [makeConst(v.dtype, outShape, out)];
    },
    lower: (c) => [fn === 'mean' && !isFloat(c.inputs[0]!.dtype) ? lowerIntegerMean(c) : c.emit(reduceOp(c, fn, c.value(0)), c.outputs[0]!)],
  };
}

/**
 * EuclideanNorm's integer result where the (wrapped) sum of squares is
 * negative: TensorFlow takes sqrt of it in double, a NaN, converted back to
 * the integer type by the x86 truncation, which gives the lowest value of 32
 * and 64 bits (int32, int64) and 0 for the narrower types (converted through
 * int32: its low bits). Measured on this TensorFlow (x86-64). The sqrt is
 * taken of max(sum, 0), which gives the narrow types' 0; int32 and int64
 * select their lowest value.
 */
const NEGATIVE_NORM: Partial<Record<DType, ConstTensor>> = {
  int32: makeConst('int32', [], [-(2 ** 31)]),
  int64: { dtype: 'int64', shape: [], data: BigInt64Array.of(-(2n ** 63n)) },
};

const euclideanNorm: TfOpDef = {
  category: 'reduction',
  constInputs: [1],
  dtypes: ALL_NUMBER_DTYPES,
  refuses: [{ variant: 'a reduction axis out of range', reason: 'unsupported-variant' }],
  infer: (c) => [irType(reduceOp(c, 'sum', 0), [inputOf(c, 0, ALL_NUMBER_DTYPES)])],
  lower(c) {
    const x = c.inputs[0]!;
    const out = c.outputs[0]!;
    const sq = c.emit({ kind: 'unary', fn: 'square', args: [c.value(0)] }, x);
    const sum = c.emit(reduceOp(c, 'sum', sq), out);
    if (isFloat(x.dtype)) return [c.emit({ kind: 'unary', fn: 'sqrt', args: [sum] }, out)];
    // Integers, as TensorFlow (Eigen) computes them: the squares and their sum in
    // the dtype, wrapping around; then sqrt in double, truncated back to the dtype.
    const f64: TensorType = { dtype: 'float64', shape: out.shape };
    const zero = c.weight(makeConst('float64', [], [0]), 'zero');
    const nonNegative = c.emit({ kind: 'binary', fn: 'max', args: [c.emit({ kind: 'cast', args: [sum], dtype: 'float64' }, f64), zero] }, f64);
    const root = c.emit({ kind: 'cast', args: [c.emit({ kind: 'unary', fn: 'sqrt', args: [nonNegative] }, f64)], dtype: x.dtype }, out);
    const negative = NEGATIVE_NORM[x.dtype];
    if (!negative) return [root];
    const isNeg = c.emit(
      { kind: 'compare', fn: 'less', args: [sum, c.weight(makeConst(x.dtype, [], [0]), 'zero')] },
      { dtype: 'bool', shape: out.shape },
    );
    return [c.emit({ kind: 'select', args: [isNeg, c.weight(negative, 'negative'), root] }, out)];
  },
};

/** x shifted by `k` along `axis` toward higher indices, `fill` coming in: pad before, slice the tail off. */
function shifted(c: LowerCtx, v: number, x: TensorType, axis: number, k: number, fill: number): number {
  const pads = x.shape.map((_, i): [number, number] => (i === axis ? [k, 0] : [0, 0]));
  const padded = x.shape.map((d, i) => (i === axis ? d + k : d));
  const p = c.emit({ kind: 'pad', args: [v], pads, mode: 'constant', value: fill }, { dtype: x.dtype, shape: padded });
  return c.emit({ kind: 'strided_slice', args: [p], begin: x.shape.map(() => 0), end: [...x.shape], strides: x.shape.map(() => 1) }, x);
}

function reversed(c: LowerCtx, v: number, x: TensorType, axis: number): number {
  return c.emit(
    {
      kind: 'strided_slice',
      args: [v],
      begin: x.shape.map((d, i) => (i === axis ? d - 1 : 0)),
      end: x.shape.map((d, i) => (i === axis ? -1 : d)),
      strides: x.shape.map((_, i) => (i === axis ? -1 : 1)),
    },
    x,
  );
}

function scan(fn: 'sum' | 'prod'): TfOpDef {
  const axisOf = (c: NodeCtx): number => {
    const x = input(c, 0);
    if (x.shape.length === 0) throw new Unsupported('a scalar input');
    return axisIn(constScalarOf(c, 1, 'axis'), x.shape.length);
  };
  return {
    category: 'reduction',
    constInputs: [1],
    dtypes: ALL_NUMBER_DTYPES,
    refuses: [
      { variant: 'a scalar input', reason: 'unsupported-variant' },
      { variant: 'an axis out of range', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const x = inputOf(c, 0, ALL_NUMBER_DTYPES);
      axisOf(c);
      return [x];
    },
    lower(c) {
      const x = c.inputs[0]!;
      const axis = axisOf(c);
      const unit = fn === 'sum' ? 0 : 1;
      const bin = fn === 'sum' ? 'add' : 'mul';
      let v = c.attrs.bool('reverse') ? reversed(c, c.value(0), x, axis) : c.value(0);
      if (c.attrs.bool('exclusive')) v = shifted(c, v, x, axis, 1, unit);
      // Hillis-Steele: after the step of shift k every element holds the scan of its last 2k inputs.
      for (let k = 1; k < x.shape[axis]!; k *= 2) v = c.emit({ kind: 'binary', fn: bin, args: [v, shifted(c, v, x, axis, k, unit)] }, x);
      return [c.attrs.bool('reverse') ? reversed(c, v, x, axis) : v];
    },
  };
}

/** The dtypes of Bincount's weights and output (T) and of DenseBincount's values (Tidx). */
const BINCOUNT_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];
const BINCOUNT_INDEX_DTYPES: readonly DType[] = ['int32', 'int64'];
/** The most elements the one-hot of the values may have: a larger count stays in TensorFlow. */
export const BINCOUNT_MAX_ONE_HOT = 1 << 24;

interface BincountPlan {
  readonly values: TensorType;
  readonly size: number;
  /** Absent: counts (an empty weights tensor). */
  readonly weights?: TensorType;
  readonly dtype: DType;
  readonly binary: boolean;
  /** The value axes summed over: every axis (Bincount, DenseBincount of rank 1) or the last (rank 2). */
  readonly axes: readonly number[];
}

function bincountPlan(c: NodeCtx, dense: boolean): BincountPlan {
  const values = dense ? inputOf(c, 0, BINCOUNT_INDEX_DTYPES) : inputOf(c, 0, ['int32']);
  const size = constScalarOf(c, 1, 'size');
  if (size < 1) throw new Unsupported(`size ${size} gives an empty output (TVM has no zero-size tensors)`);
  const w = inputOf(c, 2, BINCOUNT_DTYPES);
  const dtype = c.attrs.dtype('T') ?? w.dtype;
  if (dtype !== w.dtype) throw new Unsupported(`the weights' dtype ${w.dtype} is not T ${dtype}`);
  const binary = dense && c.attrs.bool('binary_output');
  const counts = numElements(w.shape) === 0;
  if (!counts && (w.shape.length !== values.shape.length || w.shape.some((d, i) => d !== values.shape[i]))) {
    throw new Unsupported(`weights [${w.shape}] are neither empty nor of the values' shape [${values.shape}]`);
  }
  if (dense && values.shape.length !== 1 && values.shape.length !== 2) throw new Unsupported('the input must be of rank 1 or 2');
  if (numElements(values.shape) * size > BINCOUNT_MAX_ONE_HOT) {
    throw new Unsupported(`${numElements(values.shape)} values counted into ${size} bins: a one-hot beyond ${BINCOUNT_MAX_ONE_HOT} elements`);
  }
  const rank = values.shape.length;
  const axes = dense && rank === 2 ? [1] : Array.from({ length: rank }, (_, i) => i);
  // binary_output ignores the weights (TensorFlow writes 1 for every value present).
  return { values, size, dtype, binary, axes, ...(counts || binary ? {} : { weights: w }) };
}

function bincount(dense: boolean): TfOpDef {
  return {
    category: 'reduction',
    constInputs: [1],
    dtypes: dense ? BINCOUNT_INDEX_DTYPES : BINCOUNT_DTYPES,
    refuses: [
      { variant: 'a size below 1 (an empty output)', reason: 'unsupported-variant' },
      { variant: 'weights neither empty nor of the shape of the values', reason: 'unsupported-variant' },
      { variant: 'more than 2^24 values times bins (the one-hot it is computed from)', reason: 'unsupported-variant' },
      ...(dense
        ? [
            { variant: 'an input not of rank 1 or 2', reason: 'unsupported-variant' as const },
            { variant: 'weights of a dtype other than float32, float64, int32 or int64', reason: 'unsupported-dtype' as const },
          ]
        : [{ variant: 'values of a dtype other than int32', reason: 'unsupported-dtype' as const }]),
    ],
    infer(c) {
      const p = bincountPlan(c, dense);
      const lead = dense && p.values.shape.length === 2 ? [p.values.shape[0]!] : [];
      return [{ dtype: p.dtype, shape: [...lead, p.size] }];
    },
    lower(c) {
      const p = bincountPlan(c, dense);
      const rank = p.values.shape.length;
      const hotType: TensorType = { dtype: p.dtype, shape: [...p.values.shape, p.size] };
      const on = c.weight(makeConst(p.dtype, [], [1]), 'one');
      const off = c.weight(makeConst(p.dtype, [], [0]), 'zero');
      let hot = c.emit({ kind: 'one_hot', args: [c.value(0), on, off], depth: p.size, axis: rank }, hotType);
      if (p.weights) {
        const w = c.emit({ kind: 'reshape', args: [c.value(2)], shape: [...p.values.shape, 1] }, { dtype: p.dtype, shape: [...p.values.shape, 1] });
        hot = c.emit({ kind: 'binary', fn: 'mul', args: [hot, w] }, hotType);
      }
      if (p.axes.length === 0) return [hot];
      return [c.emit({ kind: 'reduce', fn: p.binary ? 'max' : 'sum', args: [hot], axes: p.axes, keepDims: false }, c.outputs[0]!)];
    },
  };
}

export const reductionOps: OpTable = {
  Bincount: bincount(false),
  DenseBincount: bincount(true),
  Mean: reduce('mean', ALL_NUMBER_DTYPES),
  Sum: reduce('sum', ALL_NUMBER_DTYPES),
  Max: reduce('max', ALL_NUMBER_DTYPES),
  Min: reduce('min', ALL_NUMBER_DTYPES),
  Prod: reduce('prod', ALL_NUMBER_DTYPES),
  All: reduce('all', ['bool']),
  Any: reduce('any', ['bool']),
  EuclideanNorm: euclideanNorm,
  Cumsum: scan('sum'),
  Cumprod: scan('prod'),
};
