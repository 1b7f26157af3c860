// Elementwise ops: unary and binary functions, clip, leaky_relu, cast and
// bias_add. Functions Relay lacks are composed from primitives in one
// expression; the build's common-subexpression elimination and operator
// fusion turn the repeated operands into one fused kernel.

import type { BinaryFn, CompareFn, TestFn, UnaryFn } from '../../../ir/ops.js';
import type { DType } from '../../../ir/types.js';
import type { LoweringTable } from './lowering.js';
import { arg } from './lowering.js';
import { floatAttr, scalar, strAttr } from '../text.js';

// SELU constants as TensorFlow defines them.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** exp(min(x, 0)) - 1: the negative branch of elu, without overflow for large x. */
function expm1Neg(x: string, d: DType): string {
  return `subtract(exp(minimum(${x}, ${scalar(0, d)})), ${scalar(1, d)})`;
}

const UNARY: { readonly [F in UnaryFn]: (x: string, d: DType) => string } = {
  relu: (x) => `nn.relu(${x})`,
  sigmoid: (x) => `sigmoid(${x})`,
  tanh: (x) => `tanh(${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `log(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  rsqrt: (x) => `rsqrt(${x})`,
  square: (x) => `multiply(${x}, ${x})`,
  neg: (x) => `negative(${x})`,
  abs: (x) => `abs(${x})`,
  erf: (x) => `erf(${x})`,
  // log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|.
  softplus: (x, d) => `add(nn.relu(${x}), log(add(exp(negative(abs(${x}))), ${scalar(1, d)})))`,
  elu: (x, d) => `where(greater(${x}, ${scalar(0, d)}), ${x}, ${expm1Neg(x, d)})`,
  selu: (x, d) =>
    `multiply(${scalar(SELU_SCALE, d)}, where(greater(${x}, ${scalar(0, d)}), ${x}, ` + `multiply(${scalar(SELU_ALPHA, d)}, ${expm1Neg(x, d)})))`,
  floor: (x) => `floor(${x})`,
  ceil: (x) => `ceil(${x})`,
  identity: (x) => `copy(${x})`,
  // TVM's round takes halves away from zero; TensorFlow rounds them to even: 2 * round(x / 2) there.
  round: (x, d) =>
    `where(equal(subtract(${x}, floor(${x})), ${scalar(0.5, d)}), multiply(${scalar(2, d)}, round(multiply(${x}, ${scalar(0.5, d)}))), round(${x}))`,
  sign: (x) => `sign(${x})`,
  sin: (x) => `sin(${x})`,
  cos: (x) => `cos(${x})`,
  tan: (x) => `tan(${x})`,
  asin: (x) => `asin(${x})`,
  acos: (x) => `acos(${x})`,
  atan: (x) => `atan(${x})`,
  sinh: (x) => `sinh(${x})`,
  cosh: (x) => `cosh(${x})`,
  asinh: (x) => `asinh(${x})`,
  acosh: (x) => `acosh(${x})`,
  atanh: (x) => `atanh(${x})`,
  // Relay has neither: with u = 1 + x (or e^x), log(u) * x / (u - 1) and (u - 1) * x / log(u)
  // cancel the rounding error of u (Goldberg), so small |x| keeps full precision.
  log1p: (x, d) => {
    const u = `add(${x}, ${scalar(1, d)})`;
    return `where(equal(${u}, ${scalar(1, d)}), ${x}, multiply(log(${u}), divide(${x}, subtract(${u}, ${scalar(1, d)}))))`;
  },
  expm1: (x, d) => {
    const u = `exp(${x})`;
    const um1 = `subtract(${u}, ${scalar(1, d)})`;
    return (
      `where(equal(${u}, ${scalar(1, d)}), ${x}, where(logical_or(equal(${um1}, ${scalar(-1, d)}), isinf(${u})), ${um1}, ` +
      `divide(multiply(${um1}, ${x}), log(${u}))))`
    );
  },
  softsign: (x, d) => `divide(${x}, add(abs(${x}), ${scalar(1, d)}))`,
  logical_not: (x) => `logical_not(${x})`,
};

/**
 * An integer divisor with 0 replaced by 1: TensorFlow fails on a zero divisor,
 * the CPU traps (the bridge op would take the process down); floats divide as IEEE does.
 */
function divisor(b: string, d: DType): string {
  return d.startsWith('float') ? b : `where(equal(${b}, ${scalar(0, d)}), ${scalar(1, d)}, ${b})`;
}

/** Bits of an integer dtype, for shift clamping. */
function bitsOf(d: DType): number {
  return d === 'int64' ? 64 : d === 'int32' ? 32 : d === 'int16' ? 16 : 8;
}

const BINARY: { readonly [F in BinaryFn]: (a: string, b: string, d: DType) => string } = {
  add: (a, b) => `add(${a}, ${b})`,
  sub: (a, b) => `subtract(${a}, ${b})`,
  mul: (a, b) => `multiply(${a}, ${b})`,
  div: (a, b) => `divide(${a}, ${b})`,
  max: (a, b) => `maximum(${a}, ${b})`,
  min: (a, b) => `minimum(${a}, ${b})`,
  pow: (a, b) => `power(${a}, ${b})`,
  squared_difference: (a, b) => `multiply(subtract(${a}, ${b}), subtract(${a}, ${b}))`,
  floor_div: (a, b, d) => (d.startsWith('float') ? `floor(divide(${a}, ${b}))` : `floor_divide(${a}, ${divisor(b, d)})`),
  floor_mod: (a, b, d) => `floor_mod(${a}, ${divisor(b, d)})`,
  trunc_div: (a, b, d) => (d.startsWith('float') ? `trunc(divide(${a}, ${b}))` : `trunc_divide(${a}, ${divisor(b, d)})`),
  trunc_mod: (a, b, d) => `trunc_mod(${a}, ${divisor(b, d)})`,
  // TensorFlow clamps the shift amount to [0, bits - 1]; past the width LLVM's shifts are undefined.
  left_shift: (a, b, d) => `left_shift(${a}, clip(${b}, a_min=0f, a_max=${floatAttr(bitsOf(d) - 1)}))`,
  right_shift: (a, b, d) => `right_shift(${a}, clip(${b}, a_min=0f, a_max=${floatAttr(bitsOf(d) - 1)}))`,
  // atan(y / x) moved to the quadrant of (x, y); x = 0 gives +-pi/2 (0 when y = 0 too).
  atan2: (y, x, d) => {
    const z = scalar(0, d);
    const pi = scalar(Math.PI, d);
    const base = `atan(divide(${y}, ${x}))`;
    const neg = `where(greater_equal(${y}, ${z}), add(${base}, ${pi}), subtract(${base}, ${pi}))`;
    const axis = `multiply(sign(${y}), ${scalar(Math.PI / 2, d)})`;
    return `where(greater(${x}, ${z}), ${base}, where(less(${x}, ${z}), ${neg}, ${axis}))`;
  },
  logical_and: (a, b) => `logical_and(${a}, ${b})`,
  logical_or: (a, b) => `logical_or(${a}, ${b})`,
};

const COMPARE: { readonly [F in CompareFn]: string } = {
  equal: 'equal',
  not_equal: 'not_equal',
  less: 'less',
  less_equal: 'less_equal',
  greater: 'greater',
  greater_equal: 'greater_equal',
};

const TEST: { readonly [F in TestFn]: string } = { isnan: 'isnan', isinf: 'isinf', isfinite: 'isfinite' };

/** Functions LLVM has no float16 intrinsic for: computed in float32 and rounded back, as TensorFlow's half kernels do. */
const F16_IN_F32: ReadonlySet<string> = new Set(['asin', 'acos', 'atan', 'asinh', 'acosh', 'atanh', 'atan2', 'sinh', 'cosh', 'tan']);

function inF32(d: DType, fn: string, args: readonly string[], f: (args: readonly string[], d: DType) => string): string {
  if (d !== 'float16' || !F16_IN_F32.has(fn)) return f(args, d);
  const up = args.map((a) => `cast(${a}, dtype="float32")`);
  return `cast(${f(up, 'float32')}, dtype="float16")`;
}

export const elementwise: LoweringTable<
  'unary' | 'binary' | 'clip' | 'leaky_relu' | 'cast' | 'bias_add' | 'compare' | 'test' | 'select' | 'fill_like'
> = {
  unary: (op, args, result) => inF32(result.dtype, op.fn, [arg(args, 0, 'unary')], ([x], d) => UNARY[op.fn](x!, d)),
  binary: (op, args, result) => inF32(result.dtype, op.fn, [arg(args, 0, 'binary'), arg(args, 1, 'binary')], ([a, b], d) => BINARY[op.fn](a!, b!, d)),
  compare: (op, args) => `${COMPARE[op.fn]}(${arg(args, 0, 'compare')}, ${arg(args, 1, 'compare')})`,
  // TVM has no bfloat16 isnan / isinf / isfinite: the widening to float32 keeps every NaN and infinity.
  test: (op, args, _result, types) => {
    const x = arg(args, 0, 'test');
    return `${TEST[op.fn]}(${types[0]?.dtype === 'bfloat16' ? `cast(${x}, dtype="float32")` : x})`;
  },
  select: (_op, args) => `where(${arg(args, 0, 'select')}, ${arg(args, 1, 'select')}, ${arg(args, 2, 'select')})`,
  fill_like: (op, args, result) => `full_like(${arg(args, 0, 'fill_like')}, ${scalar(op.value, result.dtype)})`,
  clip: (op, args, result) => {
    const x = arg(args, 0, 'clip');
    if (Number.isNaN(op.min) || Number.isNaN(op.max)) throw new RangeError('clip: NaN bound');
    // Relay text cannot spell an infinite attribute: an open side is no bound.
    const lo = Number.isFinite(op.min);
    const hi = Number.isFinite(op.max);
    if (lo && hi) return `clip(${x}, a_min=${floatAttr(op.min)}, a_max=${floatAttr(op.max)})`;
    if (lo) return `maximum(${x}, ${scalar(op.min, result.dtype)})`;
    if (hi) return `minimum(${x}, ${scalar(op.max, result.dtype)})`;
    return `copy(${x})`;
  },
  leaky_relu: (op, args) => `nn.leaky_relu(${arg(args, 0, 'leaky_relu')}, alpha=${floatAttr(op.alpha)})`,
  cast: (op, args) => `cast(${arg(args, 0, 'cast')}, dtype=${strAttr(op.dtype)})`,
  bias_add: (op, args) => `nn.bias_add(${arg(args, 0, 'bias_add')}, ${arg(args, 1, 'bias_add')}, axis=${op.axis})`,
};
