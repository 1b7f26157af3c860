// Binary elementwise ops with NumPy broadcasting, BiasAdd, and Cast.
//
// Add/Sub/Mul/Maximum/Minimum also take int32/int64 (shape arithmetic in
// Keras graphs) and fold when both operands are integer constants; float
// constant arithmetic is left to TVM's own constant folding of the bound
// weights, which computes it in the tensor's precision as TensorFlow would.

import type { BinaryFn, Op, ValueId } from '../../ops.js';
import { broadcastShapes, isFloat, isHalf, sameShape, type DType } from '../../types.js';
import { constNumbers, makeConst, stridesOf, type ConstTensor } from '../consts.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import {
  ALL_INT_DTYPES,
  ALL_NUMBER_DTYPES,
  BF16_FLOAT_DTYPES,
  FLOAT_AND_INDEX_DTYPES,
  FLOAT_DTYPES,
  input,
  inputOf,
  irType,
  spatial,
} from './common.js';

const INT_OK: ReadonlySet<DType> = new Set<DType>(['int32', 'int64']);

/** Exact integer arithmetic with TensorFlow's two's-complement wrap-around. */
const INT_FNS: Partial<Record<BinaryFn, (a: bigint, b: bigint) => bigint>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  max: (a, b) => (a > b ? a : b),
  min: (a, b) => (a < b ? a : b),
  // Division folds only without zero divisors (foldIntBinary checks).
  floor_div: (a, b) => (a % b !== 0n && a < 0n !== b < 0n ? a / b - 1n : a / b),
  floor_mod: (a, b) => ((a % b) + b) % b,
  trunc_div: (a, b) => a / b,
  trunc_mod: (a, b) => a % b,
};
const DIVISIONS: ReadonlySet<BinaryFn> = new Set<BinaryFn>(['floor_div', 'floor_mod', 'trunc_div', 'trunc_mod']);

/** Index of a broadcast operand's element for an output multi-index. */
function broadcastOffset(shape: readonly number[], outRank: number, idx: readonly number[]): number {
  const st = stridesOf(shape);
  let off = 0;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i]!;
    off += (d === 1 ? 0 : idx[outRank - shape.length + i]!) * st[i]!;
  }
  return off;
}

function foldIntBinary(fn: BinaryFn, a: ConstTensor, b: ConstTensor, shape: readonly number[]): ConstTensor | undefined {
  const f = INT_FNS[fn];
  if (!f || !INT_OK.has(a.dtype) || a.dtype !== b.dtype) return undefined;
  const bits = a.dtype === 'int64' ? 64 : 32;
  const av = Array.from(a.data as Iterable<number | bigint>, (v) => BigInt(v));
  const bv = Array.from(b.data as Iterable<number | bigint>, (v) => BigInt(v));
  if (DIVISIONS.has(fn) && bv.includes(0n)) return undefined;
  const n = shape.reduce((x, y) => x * y, 1);
  const out: number[] = [];
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    const r = BigInt.asIntN(bits, f(av[broadcastOffset(a.shape, shape.length, idx)]!, bv[broadcastOffset(b.shape, shape.length, idx)]!));
    const num = Number(r);
    // makeConst takes numbers; an int64 beyond 2^53 is simply not folded.
    if (!Number.isSafeInteger(num)) return undefined;
    out.push(num);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return makeConst(a.dtype, shape, out);
}

function binary(fn: BinaryFn, ints = false, only?: readonly DType[]): TfOpDef {
  const dtypes = only ?? (ints ? FLOAT_AND_INDEX_DTYPES : FLOAT_DTYPES);
  return {
    category: 'elementwise',
    dtypes,
    refuses: [
      { variant: 'operands of different dtypes', reason: 'unsupported-variant' },
      { variant: 'shapes that do not broadcast', reason: 'unsupported-variant' },
    ],
    infer: (c) => [irType({ kind: 'binary', fn, args: [0, 1] }, [inputOf(c, 0, dtypes), inputOf(c, 1, dtypes)])],
    fold(c) {
      const a = c.constInput(0);
      const b = c.constInput(1);
      const shape = a && b ? broadcastShapes(a.shape, b.shape) : undefined;
      const v = a && b && shape ? foldIntBinary(fn, a, b, shape) : undefined;
      return v ? [v] : undefined;
    },
    lower: (c) => [c.emit({ kind: 'binary', fn, args: [c.value(0), c.value(1)] }, c.outputs[0]!)],
  };
}

/** One value cast as TensorFlow's Cast kernel does (truncation toward zero); undefined if out of range. */
function castNumber(v: number, to: DType): number | undefined {
  switch (to) {
    case 'float32':
      return Math.fround(v);
    case 'float64':
      return v;
    case 'bool':
      return v !== 0 ? 1 : 0;
    case 'int32':
    case 'int64':
    case 'int8':
    case 'uint8':
    case 'int16': {
      const t = Math.trunc(v);
      const [lo, hi] = INT_RANGE[to];
      // Out-of-range conversions are implementation-defined in TensorFlow's
      // C++; leave them to TensorFlow rather than guess.
      return Number.isFinite(t) && t >= lo && t <= hi ? t : undefined;
    }
    case 'float16':
    case 'bfloat16':
      return undefined;
  }
}

const INT_RANGE: Record<'int8' | 'uint8' | 'int16' | 'int32' | 'int64', [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2 ** 53), 2 ** 53],
};

const cast: TfOpDef = {
  category: 'elementwise',
  refuses: [
    { variant: 'a target dtype the IR lacks', reason: 'unsupported-dtype' },
    { variant: 'Truncate=true between float dtypes', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const x = input(c, 0);
    const to = c.attrs.dtype('DstT');
    if (!to) throw new Unsupported('the target dtype has no IR equivalent', 'unsupported-dtype');
    // Truncate=true narrows floats by dropping mantissa bits; TVM rounds.
    if (c.attrs.bool('Truncate') && isFloat(x.dtype) && isFloat(to) && x.dtype !== to) {
      throw new Unsupported('Truncate=true between float dtypes');
    }
    return [{ dtype: to, shape: x.shape }];
  },
  fold(c) {
    const v = c.constInput(0);
    const to = c.attrs.dtype('DstT');
    if (!v || !to || isHalf(v.dtype)) return undefined;
    const out: number[] = [];
    for (const x of constNumbers(v)) {
      const y = castNumber(x, to);
      if (y === undefined) return undefined;
      out.push(y);
    }
    return [makeConst(to, v.shape, out)];
  },
  lower: (c) => [c.emit({ kind: 'cast', args: [c.value(0)], dtype: c.outputs[0]!.dtype }, c.outputs[0]!)],
};

/** AddN: N tensors of one shape and dtype, summed left to right as TF's kernel does. */
const addN: TfOpDef = {
  category: 'elementwise',
  dtypes: ALL_NUMBER_DTYPES,
  refuses: [
    { variant: 'operands of different dtypes', reason: 'unsupported-variant' },
    { variant: 'operands of different shapes', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const first = inputOf(c, 0, ALL_NUMBER_DTYPES);
    for (let i = 1; i < c.inputs.length; i++) {
      const t = inputOf(c, i, ALL_NUMBER_DTYPES);
      if (t.dtype !== first.dtype) throw new Unsupported(`dtypes ${first.dtype} and ${t.dtype} differ`);
      if (!sameShape(t.shape, first.shape)) throw new Unsupported(`shapes [${first.shape}] and [${t.shape}] differ`);
    }
    return [first];
  },
  lower(c) {
    const out = c.outputs[0]!;
    let sum = c.value(0);
    for (let i = 1; i < c.inputs.length; i++) sum = c.emit({ kind: 'binary', fn: 'add', args: [sum, c.value(i)] }, out);
    return [sum];
  },
};

/** BiasAdd's IR op: the bias runs along the channel axis of data_format (NHWC: the last axis). */
function biasAddOp(c: NodeCtx, args: readonly [ValueId, ValueId]): Op {
  const rank = input(c, 0).shape.length;
  const format = c.attrs.str('data_format', 'NHWC');
  const axis = format === 'NHWC' ? rank - 1 : spatial(format).c;
  return { kind: 'bias_add', args, axis };
}

/** ClipByValue: max(min(x, hi), lo) in TensorFlow's order (it matters when lo > hi); bounds scalars or of x's shape. */
const clipByValue: TfOpDef = {
  category: 'elementwise',
  dtypes: ALL_NUMBER_DTYPES,
  refuses: [{ variant: 'bounds that are neither scalars nor of the data shape, or of another dtype', reason: 'unsupported-variant' }],
  infer(c) {
    const x = inputOf(c, 0, ALL_NUMBER_DTYPES);
    for (const i of [1, 2]) {
      const b = input(c, i);
      if (b.dtype !== x.dtype || (b.shape.length !== 0 && !sameShape(b.shape, x.shape))) {
        throw new Unsupported(`bound ${i} ${b.dtype}[${b.shape}] does not fit ${x.dtype}[${x.shape}]`);
      }
    }
    return [x];
  },
  lower(c) {
    const out = c.outputs[0]!;
    const hi = c.emit({ kind: 'binary', fn: 'min', args: [c.value(0), c.value(2)] }, out);
    return [c.emit({ kind: 'binary', fn: 'max', args: [hi, c.value(1)] }, out)];
  },
};

const MOD_DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'int64'];

const POW_INT_DTYPES: readonly DType[] = ['int8', 'int16', 'int32', 'int64'];
/** The largest constant integer exponent lowered (one multiply per unit of it). */
const POW_INT_MAX_EXPONENT = 64;

/**
 * Pow. Floats: TVM's pow. Integers as TensorFlow's kernel computes them:
 * products in the dtype, wrapping around (exact, unlike a float pow), for a
 * constant exponent of 0..64: y = x0 * x1 * ... with x_k = (e > k ? x : 1).
 * Every step reads the previous product once, so the fused kernel stays
 * linear in the exponent (squaring would read it twice, and TVM's inlining
 * doubles the expression at every step). A run-time exponent, or a negative
 * one (TensorFlow fails on it), stays in TensorFlow.
 */
const powBinary = binary('pow', false, [...BF16_FLOAT_DTYPES, ...POW_INT_DTYPES]);
const pow: TfOpDef = {
  ...powBinary,
  refuses: [
    ...(powBinary.refuses ?? []),
    { variant: `an integer exponent that is not a constant in 0..${POW_INT_MAX_EXPONENT}`, reason: 'needs-constant' },
  ],
  infer(c) {
    const types = powBinary.infer(c);
    if (POW_INT_DTYPES.includes(types[0]!.dtype)) powExponents(c);
    return types;
  },
  lower(c) {
    const out = c.outputs[0]!;
    const dtype = out.dtype;
    if (!POW_INT_DTYPES.includes(dtype)) return [c.emit({ kind: 'binary', fn: 'pow', args: [c.value(0), c.value(1)] }, out)];
    const largest = Math.max(0, ...powExponents(c));
    const scalar = (v: number, hint: string) => c.weight(makeConst(dtype, [], [v]), hint);
    const one = scalar(1, 'one');
    const e = c.value(1);
    // x^0 = 1 (also for x = 0), broadcast to the output.
    let y = c.emit(
      { kind: 'select', args: [c.emit({ kind: 'compare', fn: 'greater', args: [e, scalar(0, 'k')] }, boolOf(c.inputs[1]!)), c.value(0), one] },
      out,
    );
    for (let k = 1; k < largest; k++) {
      const more = c.emit({ kind: 'compare', fn: 'greater', args: [e, scalar(k, 'k')] }, boolOf(c.inputs[1]!));
      const factor = c.emit({ kind: 'select', args: [more, c.value(0), one] }, out);
      y = c.emit({ kind: 'binary', fn: 'mul', args: [y, factor] }, out);
    }
    return [y];
  },
};

function boolOf(t: { readonly shape: readonly number[] }): { dtype: DType; shape: readonly number[] } {
  return { dtype: 'bool', shape: t.shape };
}

/** The constant integer exponents of a Pow node, each in 0..POW_INT_MAX_EXPONENT (else the node is refused). */
function powExponents(c: NodeCtx): number[] {
  const e = c.constInput(1);
  const values = e ? constNumbers(e) : undefined;
  if (!values || values.some((v) => v < 0 || v > POW_INT_MAX_EXPONENT)) {
    throw new Unsupported(`an integer exponent must be a constant in 0..${POW_INT_MAX_EXPONENT}`, 'needs-constant');
  }
  return values;
}

export const elementwiseOps: OpTable = {
  // Integer division and remainder as TensorFlow rounds them (floor: toward -inf;
  // truncate and Mod: toward zero, C's %); a zero divisor (an error in TensorFlow) divides by 1.
  FloorDiv: binary('floor_div', true, ALL_NUMBER_DTYPES),
  FloorMod: binary('floor_mod', true, ALL_NUMBER_DTYPES),
  // Floats too: trunc(x / y), as TensorFlow's float TruncateDiv.
  TruncateDiv: binary('trunc_div', true, ALL_NUMBER_DTYPES),
  // TruncateMod and Mod: the dtypes of TensorFlow's CPU kernels only (no float16, int8 or uint8 one).
  TruncateMod: binary('trunc_mod', true, MOD_DTYPES),
  Mod: binary('trunc_mod', true, MOD_DTYPES),
  LeftShift: binary('left_shift', true, ALL_INT_DTYPES),
  RightShift: binary('right_shift', true, ALL_INT_DTYPES),
  Atan2: binary('atan2', false, BF16_FLOAT_DTYPES),
  ClipByValue: clipByValue,
  AddN: addN,
  // int8 / uint8 too: TVM's integer arithmetic wraps around in the type, as TensorFlow's does.
  Add: binary('add', true, ALL_NUMBER_DTYPES),
  AddV2: binary('add', true, ALL_NUMBER_DTYPES),
  Sub: binary('sub', true, ALL_NUMBER_DTYPES),
  Mul: binary('mul', true, ALL_NUMBER_DTYPES),
  RealDiv: binary('div', false, BF16_FLOAT_DTYPES),
  Maximum: binary('max', true, ALL_NUMBER_DTYPES),
  Minimum: binary('min', true, ALL_NUMBER_DTYPES),
  SquaredDifference: binary('squared_difference', true, [...BF16_FLOAT_DTYPES, 'int32', 'int64']),
  Pow: pow,
  Cast: cast,
  BiasAdd: {
    category: 'elementwise',
    dtypes: ALL_NUMBER_DTYPES,
    refuses: [
      { variant: 'data_format other than NHWC or NCHW', reason: 'unsupported-variant' },
      { variant: 'a bias that is not a vector of the channel count', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const x = inputOf(c, 0, ALL_NUMBER_DTYPES);
      const b = inputOf(c, 1, ALL_NUMBER_DTYPES);
      return [irType(biasAddOp(c, [0, 1]), [x, b])];
    },
    lower: (c) => [c.emit(biasAddOp(c, [c.value(0), c.value(1)]), c.outputs[0]!)],
  },
};
