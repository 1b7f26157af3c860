// Shape and data-movement ops whose shape arguments are compile-time
// constants: Reshape, Squeeze, ExpandDims (all three lowered as reshape),
// Transpose, ConcatV2, Pack, Pad/PadV2/MirrorPad, StridedSlice, Slice; and
// Shape itself, which folds to a constant when its input's shape is static.
//
// Every op here also folds when its data inputs are constants, so the shape
// computations Keras graphs freeze to (Shape -> StridedSlice -> Pack ->
// Reshape) become constants and the Reshape they feed can be compiled.

import type { Op, ValueId } from '../../ops.js';
import { broadcastShapes, isHalf, numElements, sameShape, type TensorType } from '../../types.js';
import {
  concatConsts,
  constInts,
  constNumbers,
  makeConst,
  reshapeConst,
  sliceConst,
  stackConsts,
  transposeConst,
  type ConstTensor,
} from '../consts.js';
import { resolveStridedSlice, SliceSpecError, type DenseSlice } from '../slice-spec.js';
import { Unsupported, type LowerCtx, type NodeCtx, type OpTable, type Refusal, type TfOpDef } from '../registry.js';
import { allConst, axisIn, constIntsOf, input, irType } from './common.js';

/** An op that only changes the shape: lowered to reshape, folded by relabelling. */
function reshapeLike(constInputs: readonly number[], shapeOf: (c: NodeCtx, x: TensorType) => number[], refuses: readonly Refusal[]): TfOpDef {
  return {
    category: 'shape',
    constInputs,
    refuses,
    infer(c) {
      const x = input(c, 0);
      return [{ dtype: x.dtype, shape: shapeOf(c, x) }];
    },
    fold(c) {
      const v = c.constInput(0);
      const x = c.inputs[0];
      return v && x ? [reshapeConst(v, shapeOf(c, x))] : undefined;
    },
    lower: (c) => [c.emit({ kind: 'reshape', args: [c.value(0)], shape: c.outputs[0]!.shape }, c.outputs[0]!)],
  };
}

function reshapeShape(c: NodeCtx, x: TensorType): number[] {
  const want = constIntsOf(c, 1);
  const known = want.filter((d) => d !== -1);
  if (want.length - known.length > 1) throw new Unsupported('more than one -1 in the new shape');
  const total = numElements(x.shape);
  const rest = numElements(known);
  const shape = want.map((d) => (d === -1 ? total / rest : d));
  if (numElements(shape) !== total || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Unsupported(`cannot reshape [${x.shape}] to [${want}]`);
  }
  return shape;
}

function squeezeShape(c: NodeCtx, x: TensorType): number[] {
  const rank = x.shape.length;
  const dims = new Set(c.attrs.ints('squeeze_dims', []).map((d) => axisIn(d, rank, 'squeeze dimension')));
  for (const d of dims) {
    if (x.shape[d] !== 1) throw new Unsupported(`cannot squeeze dimension ${d} of size ${x.shape[d]}`);
  }
  // No dims given: every dimension of size 1 goes.
  return x.shape.filter((d, i) => (dims.size === 0 ? d !== 1 : !dims.has(i)));
}

function expandDimsShape(c: NodeCtx, x: TensorType): number[] {
  const dim = constIntsOf(c, 1);
  if (dim.length !== 1) throw new Unsupported('dim must hold exactly one value');
  const rank = x.shape.length;
  const at = axisIn(dim[0]!, rank + 1, 'dim');
  const shape = [...x.shape];
  shape.splice(at, 0, 1);
  return shape;
}

function permOf(c: NodeCtx, rank: number): number[] {
  const perm = constIntsOf(c, 1);
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= rank)) {
    throw new Unsupported(`[${perm}] is not a permutation of ${rank} dimensions`);
  }
  return perm;
}

/** ConcatV2's axis (its last input) as a non-negative number. */
function concatAxis(c: NodeCtx, rank: number): number {
  const axisIn_ = c.constInput(c.inputs.length - 1);
  if (!axisIn_) throw new Unsupported('the axis must be a compile-time constant', 'needs-constant');
  return axisIn(constInts(axisIn_)[0]!, rank);
}

function packAxis(c: NodeCtx, rank: number): number {
  return axisIn(c.attrs.int('axis', 0), rank + 1);
}

/** [before, after] per dimension from a [rank, 2] paddings constant. */
function paddingsOf(c: NodeCtx, x: TensorType): [number, number][] {
  const p = c.constInput(1);
  if (!p) throw new Unsupported('paddings must be a compile-time constant', 'needs-constant');
  const rank = x.shape.length;
  if (p.shape.length !== 2 || p.shape[0] !== rank || p.shape[1] !== 2) {
    throw new Unsupported(`paddings of shape [${p.shape}] do not fit rank ${rank}`);
  }
  const v = constInts(p);
  const pads = x.shape.map((_, i): [number, number] => [v[2 * i]!, v[2 * i + 1]!]);
  if (pads.some(([a, b]) => a < 0 || b < 0)) throw new Unsupported('negative paddings (cropping) are not supported');
  return pads;
}

function padOp(mode: 'constant' | 'mirror', withValue: boolean): TfOpDef {
  const mirrorMode = (c: NodeCtx): 'reflect' | 'symmetric' => {
    const m = c.attrs.str('mode');
    if (m === 'REFLECT') return 'reflect';
    if (m === 'SYMMETRIC') return 'symmetric';
    throw new Unsupported(`MirrorPad mode ${m} is not supported`);
  };
  /** The IR pad the node lowers to (after infer has checked the mode and value). */
  const padIr = (c: NodeCtx, arg: ValueId): Op => ({
    kind: 'pad',
    args: [arg],
    pads: paddingsOf(c, input(c, 0)),
    mode: mode === 'mirror' ? mirrorMode(c) : 'constant',
    value: withValue ? constNumbers(c.constInput(2)!)[0]! : 0,
  });
  return {
    category: 'shape',
    constInputs: withValue ? [1, 2] : [1],
    refuses: [
      { variant: 'paddings not of shape [rank, 2]', reason: 'unsupported-variant' },
      { variant: 'negative paddings (cropping)', reason: 'unsupported-variant' },
      ...(mode === 'mirror'
        ? [
            { variant: 'a mode other than REFLECT or SYMMETRIC', reason: 'unsupported-variant' } as const,
            { variant: 'a padding beyond the dimension (REFLECT: beyond its size - 1)', reason: 'unsupported-variant' } as const,
          ]
        : []),
      ...(withValue ? [{ variant: 'constant_values of another dtype than the data, or float16', reason: 'unsupported-variant' } as const] : []),
    ],
    infer(c) {
      const x = input(c, 0);
      const pads = paddingsOf(c, x);
      if (mode === 'mirror') {
        // REFLECT leaves the edge out, so it can add at most size - 1 per side.
        const m = mirrorMode(c);
        pads.forEach(([a, b], i) => {
          const limit = m === 'reflect' ? x.shape[i]! - 1 : x.shape[i]!;
          if (a > limit || b > limit) throw new Unsupported(`MirrorPad ${m}: padding ${Math.max(a, b)} exceeds ${limit} on dimension ${i}`);
        });
      }
      if (withValue) {
        const v = c.constInput(2);
        if (!v || numElements(v.shape) !== 1) throw new Unsupported('constant_values must be a scalar constant', 'needs-constant');
        // float16 constants are kept as raw bits: no number to put in the IR.
        if (v.dtype !== x.dtype || isHalf(v.dtype)) throw new Unsupported(`constant_values of dtype ${v.dtype} on ${x.dtype} data`);
      }
      return [irType(padIr(c, 0), [x])];
    },
    lower: (c) => [c.emit(padIr(c, c.value(0)), c.outputs[0]!)],
  };
}

function stridedSliceSpec(c: NodeCtx): DenseSlice {
  const x = input(c, 0);
  const [b, e, s] = [1, 2, 3].map((i) => constIntsOf(c, i)) as [number[], number[], number[]];
  let spec: DenseSlice;
  try {
    spec = resolveStridedSlice(x.shape, b, e, s, {
      begin: c.attrs.int('begin_mask', 0),
      end: c.attrs.int('end_mask', 0),
      ellipsis: c.attrs.int('ellipsis_mask', 0),
      newAxis: c.attrs.int('new_axis_mask', 0),
      shrinkAxis: c.attrs.int('shrink_axis_mask', 0),
    });
  } catch (err) {
    if (err instanceof SliceSpecError) throw new Unsupported(`invalid slice: ${err.message}`);
    throw err;
  }
  return spec;
}

/** Slice's begin/size as a full-rank stride-1 slice. */
function sliceSpec(c: NodeCtx): DenseSlice {
  const x = input(c, 0);
  const begin = constIntsOf(c, 1);
  const size = constIntsOf(c, 2);
  const rank = x.shape.length;
  if (begin.length !== rank || size.length !== rank) throw new Unsupported('begin and size must have one entry per dimension');
  const end = begin.map((b, i) => (size[i] === -1 ? x.shape[i]! : b + size[i]!));
  begin.forEach((b, i) => {
    if (b < 0 || end[i]! < b || end[i]! > x.shape[i]!) {
      throw new Unsupported(`slice [${b}, ${end[i]}) is out of bounds for a dimension of ${x.shape[i]}`);
    }
  });
  const sliceShape = end.map((e, i) => e - begin[i]!);
  return { begin, end, strides: begin.map(() => 1), sliceShape, finalShape: sliceShape };
}

function sliceOp(spec: (c: NodeCtx) => DenseSlice, constInputs: readonly number[], refuses: readonly Refusal[]): TfOpDef {
  return {
    category: 'shape',
    constInputs,
    refuses: [...refuses, { variant: 'an empty slice (TVM has no zero-size tensors)', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      const s = spec(c);
      // TVM has no zero-size tensors; an empty slice is left to TensorFlow.
      if (s.sliceShape.some((d) => d === 0)) throw new Unsupported('the slice is empty');
      return [{ dtype: x.dtype, shape: s.finalShape }];
    },
    fold(c) {
      const v = c.constInput(0);
      if (!v) return undefined;
      const s = spec(c);
      return [reshapeConst(sliceConst(v, s.begin, s.strides, s.sliceShape), s.finalShape)];
    },
    lower(c) {
      const x = c.inputs[0]!;
      const s = spec(c);
      const sliced = c.emit(
        { kind: 'strided_slice', args: [c.value(0)], begin: s.begin, end: s.end, strides: s.strides },
        { dtype: x.dtype, shape: s.sliceShape },
      );
      const out = c.outputs[0]!;
      return [sameShape(s.sliceShape, out.shape) ? sliced : c.emit({ kind: 'reshape', args: [sliced], shape: out.shape }, out)];
    },
  };
}

/** The IR concat of ConcatV2's N data inputs (the axis input is last). */
function concatIr(c: NodeCtx, args: readonly ValueId[]): Op {
  return { kind: 'concat', args, axis: concatAxis(c, input(c, 0).shape.length) };
}

/** The IR stack of Pack's inputs. */
function stackIr(c: NodeCtx, args: readonly ValueId[]): Op {
  return { kind: 'stack', args, axis: packAxis(c, input(c, 0).shape.length) };
}

/** Value ids 0..n-1: the operands of an op built only to be typed. */
const placeholders = (n: number): ValueId[] => Array.from({ length: n }, (_, i) => i);

function lowerConcat(c: LowerCtx): number[] {
  const n = c.inputs.length - 1;
  return [
    c.emit(
      concatIr(
        c,
        Array.from({ length: n }, (_, i) => c.value(i)),
      ),
      c.outputs[0]!,
    ),
  ];
}

export const shapeOps: OpTable = {
  Reshape: reshapeLike([1], reshapeShape, [
    { variant: 'more than one -1 in the new shape', reason: 'unsupported-variant' },
    { variant: 'a new shape of another element count', reason: 'unsupported-variant' },
  ]),
  Squeeze: reshapeLike([], squeezeShape, [
    { variant: 'a squeeze dimension out of range', reason: 'unsupported-variant' },
    { variant: 'squeezing a dimension whose size is not 1', reason: 'unsupported-variant' },
  ]),
  ExpandDims: reshapeLike([1], expandDimsShape, [
    { variant: 'dim of more than one value', reason: 'unsupported-variant' },
    { variant: 'dim out of range', reason: 'unsupported-variant' },
  ]),
  Transpose: {
    category: 'shape',
    constInputs: [1],
    refuses: [{ variant: 'perm that is not a permutation of the dimensions', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      return [irType({ kind: 'transpose', args: [0], perm: permOf(c, x.shape.length) }, [x])];
    },
    fold(c) {
      const v = c.constInput(0);
      return v ? [transposeConst(v, permOf(c, v.shape.length))] : undefined;
    },
    lower: (c) => [c.emit({ kind: 'transpose', args: [c.value(0)], perm: permOf(c, c.inputs[0]!.shape.length) }, c.outputs[0]!)],
  },
  ConcatV2: {
    category: 'shape',
    refuses: [
      { variant: 'an axis that is not a compile-time constant', reason: 'needs-constant' },
      { variant: 'an axis out of range', reason: 'unsupported-variant' },
      { variant: 'inputs that differ in dtype, rank or size off the axis', reason: 'unsupported-variant' },
    ],
    // The axis is the last input (its position varies with N, so the type
    // rule checks it is constant rather than `constInputs`).
    infer(c) {
      const n = c.inputs.length - 1;
      if (n < 1) throw new Unsupported('nothing to concatenate');
      const op = concatIr(c, placeholders(n));
      return [
        irType(
          op,
          Array.from({ length: n }, (_, i) => input(c, i)),
        ),
      ];
    },
    fold(c) {
      const vs = allConst(c, c.inputs.length - 1);
      return vs && vs.length > 0 ? [concatConsts(vs, concatAxis(c, vs[0]!.shape.length))] : undefined;
    },
    lower: lowerConcat,
  },
  Pack: {
    category: 'shape',
    refuses: [
      { variant: 'an axis out of range', reason: 'unsupported-variant' },
      { variant: 'inputs that differ in dtype or shape', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const inputs = c.inputs.map((_, i) => input(c, i));
      return [irType(stackIr(c, placeholders(inputs.length)), inputs)];
    },
    fold(c) {
      const vs = allConst(c, c.inputs.length);
      return vs && vs.length > 0 ? [stackConsts(vs, packAxis(c, vs[0]!.shape.length))] : undefined;
    },
    lower: (c) => [
      c.emit(
        stackIr(
          c,
          c.inputs.map((_, i) => c.value(i)),
        ),
        c.outputs[0]!,
      ),
    ],
  },
  Pad: padOp('constant', false),
  PadV2: padOp('constant', true),
  MirrorPad: padOp('mirror', false),
  StridedSlice: sliceOp(
    stridedSliceSpec,
    [1, 2, 3],
    [{ variant: 'a slice TensorFlow rejects (zero stride, index out of bounds, two ellipses)', reason: 'unsupported-variant' }],
  ),
  Slice: sliceOp(
    sliceSpec,
    [1, 2],
    [
      { variant: 'begin or size without one entry per dimension', reason: 'unsupported-variant' },
      { variant: 'a slice out of bounds', reason: 'unsupported-variant' },
    ],
  ),
  // Concat (v1): the axis comes first.
  Concat: {
    category: 'shape',
    constInputs: [0],
    refuses: [
      { variant: 'an axis out of range', reason: 'unsupported-variant' },
      { variant: 'inputs that differ in dtype, rank or size off the axis', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const n = c.inputs.length - 1;
      if (n < 1) throw new Unsupported('nothing to concatenate');
      const axis = axisIn(constIntsOf(c, 0)[0]!, input(c, 1).shape.length);
      return [
        irType(
          { kind: 'concat', args: placeholders(n), axis },
          Array.from({ length: n }, (_, i) => input(c, i + 1)),
        ),
      ];
    },
    fold(c) {
      const vs = Array.from({ length: c.inputs.length - 1 }, (_, i) => c.constInput(i + 1));
      if (vs.length === 0 || vs.some((v) => !v)) return undefined;
      return [concatConsts(vs as ConstTensor[], axisIn(constIntsOf(c, 0)[0]!, vs[0]!.shape.length))];
    },
    lower(c) {
      const n = c.inputs.length - 1;
      const axis = axisIn(constIntsOf(c, 0)[0]!, c.inputs[1]!.shape.length);
      return [c.emit({ kind: 'concat', args: Array.from({ length: n }, (_, i) => c.value(i + 1)), axis }, c.outputs[0]!)];
    },
  },
  // Shape arithmetic on constants: BroadcastArgs (the broadcast of two shapes), InvertPermutation.
  BroadcastArgs: {
    category: 'shape',
    refuses: [{ variant: 'shapes that do not broadcast', reason: 'unsupported-variant' }],
    infer(c) {
      const [a, b] = [c.constInput(0), c.constInput(1)];
      if (!a || !b) throw new Unsupported('both shapes must be compile-time constants', 'needs-constant');
      const s = broadcastShapes(constInts(a), constInts(b));
      if (!s) throw new Unsupported(`[${constInts(a)}] and [${constInts(b)}] do not broadcast`);
      return [{ dtype: a.dtype, shape: [s.length] }];
    },
    fold(c) {
      const [a, b] = [c.constInput(0), c.constInput(1)];
      const s = a && b ? broadcastShapes(constInts(a), constInts(b)) : undefined;
      return a && s ? [makeConst(a.dtype, [s.length], s)] : undefined;
    },
  },
  InvertPermutation: {
    category: 'shape',
    refuses: [{ variant: 'a vector that is not a permutation of 0..n-1', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      const v = c.constInput(0);
      if (!v) throw new Unsupported('the permutation must be a compile-time constant', 'needs-constant');
      const p = constInts(v);
      if (new Set(p).size !== p.length || p.some((i) => i < 0 || i >= p.length)) throw new Unsupported(`[${p}] is not a permutation`);
      return [x];
    },
    fold(c) {
      const v = c.constInput(0);
      if (!v) return undefined;
      const p = constInts(v);
      const inv = new Array<number>(p.length);
      p.forEach((to, from) => (inv[to] = from));
      return [makeConst(v.dtype, v.shape, inv)];
    },
  },
  // Rank and Size fold from the static shape, as Shape does.
  Rank: {
    category: 'shape',
    infer: () => [{ dtype: 'int32', shape: [] }],
    fold: (c) => (c.inputs[0] ? [makeConst('int32', [], [c.inputs[0].shape.length])] : undefined),
  },
  Size: {
    category: 'shape',
    refuses: [{ variant: 'an element count beyond int32 with out_type int32', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      const dtype = c.attrs.dtype('out_type') ?? 'int32';
      if (dtype === 'int32' && numElements(x.shape) > 2 ** 31 - 1) throw new Unsupported('the element count overflows int32');
      return [{ dtype, shape: [] }];
    },
    fold: (c) => (c.inputs[0] ? [makeConst(c.attrs.dtype('out_type') ?? 'int32', [], [numElements(c.inputs[0].shape)])] : undefined),
  },
  Shape: {
    category: 'shape',
    infer(c) {
      const x = input(c, 0);
      const dtype = c.attrs.dtype('out_type') ?? 'int32';
      return [{ dtype, shape: [x.shape.length] }];
    },
    fold(c): ConstTensor[] | undefined {
      const x = c.inputs[0];
      if (!x) return undefined;
      return [makeConst(c.attrs.dtype('out_type') ?? 'int32', [x.shape.length], x.shape)];
    },
  },
};
