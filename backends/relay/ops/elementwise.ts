// Elementwise ops: unary and binary functions, clip, leaky_relu, cast and
// bias_add. Functions Relay lacks are composed from primitives in one
// expression; the build's common-subexpression elimination and operator
// fusion turn the repeated operands into one fused kernel.

import type { BinaryFn, UnaryFn } from '../../../ir/ops.js';
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
};

const BINARY: { readonly [F in BinaryFn]: (a: string, b: string) => string } = {
  add: (a, b) => `add(${a}, ${b})`,
  sub: (a, b) => `subtract(${a}, ${b})`,
  mul: (a, b) => `multiply(${a}, ${b})`,
  div: (a, b) => `divide(${a}, ${b})`,
  max: (a, b) => `maximum(${a}, ${b})`,
  min: (a, b) => `minimum(${a}, ${b})`,
  pow: (a, b) => `power(${a}, ${b})`,
  squared_difference: (a, b) => `multiply(subtract(${a}, ${b}), subtract(${a}, ${b}))`,
};

export const elementwise: LoweringTable<'unary' | 'binary' | 'clip' | 'leaky_relu' | 'cast' | 'bias_add'> = {
  unary: (op, args, result) => UNARY[op.fn](arg(args, 0, 'unary'), result.dtype),
  binary: (op, args) => BINARY[op.fn](arg(args, 0, 'binary'), arg(args, 1, 'binary')),
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
