// Gathers and index ops: Gather, GatherV2 (axis and batch_dims: every
// embedding lookup), GatherNd, OneHot, TopKV2, ArgMax, ArgMin and UnravelIndex. Indices
// out of range are an error in TensorFlow; TVM reads the nearest edge
// instead (take's clip mode), so a graph that runs in TensorFlow computes
// the same in TVM. Gathers of constants fold (shape arithmetic: a Gather of
// a Shape).

import type { Op, ValueId } from '../../ops.js';
import { DTYPES, isHalf, type DType } from '../../types.js';
import { makeConst, takeConst } from '../consts.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { ALL_NUMBER_DTYPES, axisIn, BF16_FLOAT_DTYPES, constIntsOf, constScalarOf, INDEX_DTYPES, input, inputOf, irType } from './common.js';

/** GatherV2's axis and batch_dims, made non-negative (batch_dims counts from the indices' rank). */
function gatherAxes(c: NodeCtx, v2: boolean): { axis: number; batchDims: number } {
  const params = input(c, 0);
  const indices = inputOf(c, 1, INDEX_DTYPES);
  const rank = params.shape.length;
  if (!v2) return { axis: 0, batchDims: 0 };
  const axis = axisIn(constScalarOf(c, 2, 'axis'), rank);
  let batchDims = c.attrs.int('batch_dims', 0);
  if (batchDims < 0) batchDims += indices.shape.length;
  if (batchDims < 0 || batchDims > indices.shape.length || batchDims > axis) {
    throw new Unsupported(`batch_dims ${c.attrs.int('batch_dims', 0)} is out of range for axis ${axis}`);
  }
  return { axis, batchDims };
}

function takeOp(c: NodeCtx, v2: boolean, args: readonly [ValueId, ValueId]): Op {
  return { kind: 'take', args, ...gatherAxes(c, v2) };
}

function gather(v2: boolean): TfOpDef {
  return {
    category: 'gather',
    dtypes: DTYPES,
    ...(v2 ? { constInputs: [2] } : {}),
    refuses: [
      { variant: 'indices of a dtype other than int32 or int64', reason: 'unsupported-dtype' },
      ...(v2
        ? [
            { variant: 'an axis out of range', reason: 'unsupported-variant' } as const,
            { variant: 'batch_dims out of range or beyond the axis', reason: 'unsupported-variant' } as const,
            { variant: 'batch dimensions of params and indices that differ', reason: 'unsupported-variant' } as const,
          ]
        : []),
    ],
    infer: (c) => [irType(takeOp(c, v2, [0, 1]), [input(c, 0), inputOf(c, 1, INDEX_DTYPES)])],
    fold(c) {
      const p = c.constInput(0);
      const i = c.constInput(1);
      if (!p || !i || isHalf(p.dtype)) return undefined;
      const { axis, batchDims } = gatherAxes(c, v2);
      const v = batchDims === 0 ? takeConst(p, i, axis) : undefined;
      return v ? [v] : undefined;
    },
    lower: (c) => [c.emit(takeOp(c, v2, [c.value(0), c.value(1)]), c.outputs[0]!)],
  };
}

const gatherNd: TfOpDef = {
  category: 'gather',
  dtypes: DTYPES,
  refuses: [
    { variant: 'indices of a dtype other than int32 or int64', reason: 'unsupported-dtype' },
    { variant: 'an index depth (last dimension of indices) of 0 or beyond the rank of params', reason: 'unsupported-variant' },
  ],
  infer: (c) => [irType({ kind: 'gather_nd', args: [0, 1] }, [input(c, 0), inputOf(c, 1, INDEX_DTYPES)])],
  lower: (c) => [c.emit({ kind: 'gather_nd', args: [c.value(0), c.value(1)] }, c.outputs[0]!)],
};

function oneHotOp(c: NodeCtx, args: readonly [ValueId, ValueId, ValueId]): Op {
  const rank = inputOf(c, 0, ['uint8', ...INDEX_DTYPES]).shape.length;
  const depth = constScalarOf(c, 1, 'depth');
  if (depth < 1) throw new Unsupported(`depth ${depth} gives an empty tensor`);
  const a = c.attrs.int('axis', -1);
  if (a < -1 || a > rank) throw new Unsupported(`axis ${a} is out of range`);
  return { kind: 'one_hot', args, depth, axis: a === -1 ? rank : a };
}

const oneHot: TfOpDef = {
  category: 'gather',
  constInputs: [1],
  dtypes: DTYPES,
  refuses: [
    { variant: 'indices of a dtype other than uint8, int32 or int64', reason: 'unsupported-dtype' },
    { variant: 'a depth below 1 (an empty output)', reason: 'unsupported-variant' },
    { variant: 'an axis out of range', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const on = inputOf(c, 2, DTYPES);
    return [irType(oneHotOp(c, [0, 1, 2]), [input(c, 0), on, inputOf(c, 3, DTYPES)])];
  },
  lower: (c) => [c.emit(oneHotOp(c, [c.value(0), c.value(2), c.value(3)]), c.outputs[0]!)],
};

/**
 * TopKV2: every number dtype. bfloat16 is ranked in float32 (TVM's topk gives
 * wrong values on bfloat16 data, measured): the cast is exact and keeps the
 * order, ties included (the lower index first, as TensorFlow), and the values
 * are cast back exactly.
 */
const TOPK_DTYPES: readonly DType[] = ALL_NUMBER_DTYPES;

/** TopKV2's k, checked against the last dimension. */
function topK(c: NodeCtx): number {
  const x = inputOf(c, 0, TOPK_DTYPES);
  if (x.shape.length < 1) throw new Unsupported('the input must have at least one dimension');
  const k = constScalarOf(c, 1, 'k');
  if (k < 1 || k > x.shape[x.shape.length - 1]!) throw new Unsupported(`k ${k} is out of range`);
  if (!c.attrs.bool('sorted', true)) throw new Unsupported('sorted=false (an order TensorFlow leaves open)');
  return k;
}

const topKV2: TfOpDef = {
  category: 'gather',
  constInputs: [1],
  dtypes: TOPK_DTYPES,
  refuses: [
    { variant: 'a scalar input', reason: 'unsupported-variant' },
    { variant: 'k below 1 or beyond the last dimension', reason: 'unsupported-variant' },
    { variant: 'sorted=false', reason: 'unsupported-variant' },
    { variant: 'index_type other than int32 or int64', reason: 'unsupported-dtype' },
  ],
  infer(c) {
    const x = input(c, 0);
    const k = topK(c);
    const it = c.attrs.has('index_type') ? c.attrs.dtype('index_type') : 'int32';
    if (it !== 'int32' && it !== 'int64') throw new Unsupported('index_type must be int32 or int64', 'unsupported-dtype');
    const shape = [...x.shape.slice(0, -1), k];
    return [
      { dtype: x.dtype, shape },
      { dtype: it, shape },
    ];
  },
  lower(c) {
    const k = topK(c);
    const [vt, it] = [c.outputs[0]!, c.outputs[1]!];
    const x = c.inputs[0]!;
    const bf16 = x.dtype === 'bfloat16';
    const data = bf16 ? c.emit({ kind: 'cast', args: [c.value(0)], dtype: 'float32' }, { dtype: 'float32', shape: x.shape }) : c.value(0);
    let values = c.emit({ kind: 'top_k', args: [data], k, output: 'values' }, bf16 ? { ...vt, dtype: 'float32' } : vt);
    if (bf16) values = c.emit({ kind: 'cast', args: [values], dtype: 'bfloat16' }, vt);
    let indices = c.emit({ kind: 'top_k', args: [data], k, output: 'indices' }, { dtype: 'int32', shape: it.shape });
    if (it.dtype !== 'int32') indices = c.emit({ kind: 'cast', args: [indices], dtype: it.dtype }, it);
    return [values, indices];
  },
};

/** ArgMax / ArgMin: every number dtype and bool (false < true). */
const ARG_DTYPES: readonly DType[] = [...ALL_NUMBER_DTYPES, 'bool'];
/**
 * The dtypes whose data is cast to int32 (exactly) before TVM's argmax /
 * argmin: TVM's reduction starts from index -1 at the dtype's lowest (argmax)
 * or highest (argmin) value and keeps it on a tie, so a row of only that value
 * (all false, all 0 in uint8, ...) came out as -1; TensorFlow gives the first
 * index. In int32 no bool or narrower value is the extreme (the lowering
 * also clamps the index at 0, which covers the wider dtypes).
 */
const ARG_WIDENED: readonly DType[] = ['bool', 'int8', 'uint8', 'int16'];

function argReduceOp(c: NodeCtx, fn: 'max' | 'min', arg: ValueId): Op {
  const x = inputOf(c, 0, ARG_DTYPES);
  const axis = axisIn(constScalarOf(c, 1, 'dimension'), x.shape.length, 'dimension');
  const dtype: DType | undefined = c.attrs.has('output_type') ? c.attrs.dtype('output_type') : 'int64';
  if (dtype !== 'int32' && dtype !== 'int64') throw new Unsupported('output_type must be int32 or int64', 'unsupported-dtype');
  return { kind: 'arg_reduce', fn, args: [arg], axis, dtype };
}

function argReduce(fn: 'max' | 'min'): TfOpDef {
  return {
    category: 'gather',
    constInputs: [1],
    dtypes: ARG_DTYPES,
    refuses: [
      { variant: 'a dimension out of range', reason: 'unsupported-variant' },
      { variant: 'an empty dimension', reason: 'unsupported-variant' },
      { variant: 'output_type other than int32 or int64', reason: 'unsupported-dtype' },
    ],
    infer: (c) => [irType(argReduceOp(c, fn, 0), [input(c, 0)])],
    lower(c) {
      const x = c.inputs[0]!;
      let data = ARG_WIDENED.includes(x.dtype)
        ? c.emit({ kind: 'cast', args: [c.value(0)], dtype: 'int32' }, { dtype: 'int32', shape: x.shape })
        : c.value(0);
      if (BF16_FLOAT_DTYPES.includes(x.dtype)) {
        // TensorFlow's reduction never takes a NaN (a NaN is never greater,
        // nor less); TVM's, vectorised, may. A NaN becomes the value no
        // element loses to, so it wins only where the whole row is NaN,
        // which the clamp below turns into TensorFlow's 0. Half floats go
        // to float32 first (exact, order kept).
        const dtype: DType = x.dtype === 'float64' ? 'float64' : 'float32';
        if (dtype !== x.dtype) data = c.emit({ kind: 'cast', args: [data], dtype }, { dtype, shape: x.shape });
        const nan = c.emit({ kind: 'test', fn: 'isnan', args: [data] }, { dtype: 'bool', shape: x.shape });
        const never = c.weight(makeConst(dtype, [], [fn === 'max' ? -Infinity : Infinity]), 'never');
        data = c.emit({ kind: 'select', args: [nan, never, data] }, { dtype, shape: x.shape });
      }
      // TVM's reduction starts from index -1 at the dtype's lowest (argmax)
      // or highest (argmin) value and keeps it on a tie: a row of only that
      // value (all -inf, all INT32_MIN, ...) gives -1 where TensorFlow gives
      // the first index, 0. Any other row gives an index >= 0.
      const out = c.outputs[0]!;
      const found = c.emit(argReduceOp(c, fn, data), out);
      return [c.emit({ kind: 'binary', fn: 'max', args: [found, c.weight(makeConst(out.dtype, [], [0]), 'first')] }, out)];
    },
  };
}

/** UnravelIndex's dims (a constant vector of positive sizes) and the flat-index stride of each. */
function unravelDims(c: NodeCtx): { dims: number[]; strides: number[] } {
  const x = inputOf(c, 0, INDEX_DTYPES);
  if (x.shape.length > 1) throw new Unsupported('indices of rank above 1');
  const dims = constIntsOf(c, 1);
  if (dims.length === 0 || dims.some((d) => d < 1)) throw new Unsupported(`dims [${dims}] are not positive sizes`);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  return { dims, strides };
}

/** UnravelIndex: out[i] = (index // stride_i) % dims[i], stacked first (indices in range, as TensorFlow requires). */
const unravelIndex: TfOpDef = {
  category: 'gather',
  constInputs: [1],
  dtypes: INDEX_DTYPES,
  refuses: [
    { variant: 'indices of rank above 1', reason: 'unsupported-variant' },
    { variant: 'dims that are not positive sizes', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const x = input(c, 0);
    const { dims } = unravelDims(c);
    return [{ dtype: x.dtype, shape: [dims.length, ...x.shape] }];
  },
  lower(c) {
    const x = c.inputs[0]!;
    const { dims, strides } = unravelDims(c);
    const parts = dims.map((d, i) => {
      const stride = c.weight(makeConst(x.dtype, [], [strides[i]!]), 'stride');
      const size = c.weight(makeConst(x.dtype, [], [d]), 'dim');
      const q = c.emit({ kind: 'binary', fn: 'floor_div', args: [c.value(0), stride] }, x);
      return c.emit({ kind: 'binary', fn: 'floor_mod', args: [q, size] }, x);
    });
    return [c.emit({ kind: 'stack', args: parts, axis: 0 }, c.outputs[0]!)];
  },
};

export const gatherOps: OpTable = {
  UnravelIndex: unravelIndex,
  Gather: gather(false),
  GatherV2: gather(true),
  GatherNd: gatherNd,
  OneHot: oneHot,
  TopKV2: topKV2,
  ArgMax: argReduce('max'),
  ArgMin: argReduce('min'),
};
