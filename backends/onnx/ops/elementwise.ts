// Elementwise ops: unary and binary functions, clip, leaky_relu, cast and
// bias_add. Functions ONNX lacks are composed from its primitives.

import type { BinaryFn, CompareFn, UnaryFn } from '../../../ir/ops.js';
import type { DType } from '../../../ir/types.js';
import { attr, type GraphBuilder } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType, notLowered } from './lowering.js';
import { onnxDtype } from './dtypes.js';

// SELU constants as TensorFlow defines them.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

type Unary = (g: GraphBuilder, x: string, out: string, d: DType) => void;
const one =
  (opType: string, attrs: Parameters<GraphBuilder['node']>[2] = []): Unary =>
  (g, x, out) =>
    void g.node(opType, [x], attrs, out);

const UNARY: { readonly [F in UnaryFn]: Unary } = {
  // ONNX's Relu has no uint8 form: max(x, 0) on every integer.
  relu: (g, x, out, d) => void (d.startsWith('int') || d === 'uint8' ? g.node('Max', [x, g.scalar(0, d)], [], out) : g.node('Relu', [x], [], out)),
  sigmoid: one('Sigmoid'),
  tanh: one('Tanh'),
  exp: one('Exp'),
  log: one('Log'),
  sqrt: one('Sqrt'),
  rsqrt: (g, x, out) => void g.node('Reciprocal', [g.node('Sqrt', [x])], [], out),
  square: (g, x, out) => void g.node('Mul', [x, x], [], out),
  neg: one('Neg'),
  abs: one('Abs'),
  erf: one('Erf'),
  // max(x, 0) + log(1 + exp(-|x|)): no overflow for large |x|, as in the Relay lowering.
  softplus: (g, x, out, d) => {
    const tail = g.node('Log', [g.node('Add', [g.node('Exp', [g.node('Neg', [g.node('Abs', [x])])]), g.scalar(1, d)])]);
    g.node('Add', [g.node('Relu', [x]), tail], [], out);
  },
  elu: one('Elu', [attr.float('alpha', 1)]),
  selu: one('Selu', [attr.float('alpha', SELU_ALPHA), attr.float('gamma', SELU_SCALE)]),
  floor: one('Floor'),
  ceil: one('Ceil'),
  identity: one('Identity'),
  // Not lowered yet (ONNX has most as ops of their own; their dtypes and rounding are to check first).
  round: notLowered('unary round'),
  sign: notLowered('unary sign'),
  sin: notLowered('unary sin'),
  cos: notLowered('unary cos'),
  tan: notLowered('unary tan'),
  asin: notLowered('unary asin'),
  acos: notLowered('unary acos'),
  atan: notLowered('unary atan'),
  sinh: notLowered('unary sinh'),
  cosh: notLowered('unary cosh'),
  asinh: notLowered('unary asinh'),
  acosh: notLowered('unary acosh'),
  atanh: notLowered('unary atanh'),
  log1p: notLowered('unary log1p'),
  expm1: notLowered('unary expm1'),
  softsign: notLowered('unary softsign'),
  logical_not: notLowered('unary logical_not'),
};

const BINARY: { readonly [F in BinaryFn]: (g: GraphBuilder, a: string, b: string, out: string) => void } = {
  add: (g, a, b, out) => void g.node('Add', [a, b], [], out),
  sub: (g, a, b, out) => void g.node('Sub', [a, b], [], out),
  mul: (g, a, b, out) => void g.node('Mul', [a, b], [], out),
  div: (g, a, b, out) => void g.node('Div', [a, b], [], out),
  max: (g, a, b, out) => void g.node('Max', [a, b], [], out),
  min: (g, a, b, out) => void g.node('Min', [a, b], [], out),
  pow: (g, a, b, out) => void g.node('Pow', [a, b], [], out),
  squared_difference: (g, a, b, out) => {
    const d = g.node('Sub', [a, b]);
    g.node('Mul', [d, d], [], out);
  },
  // Not lowered yet: TensorFlow's integer division and shift semantics need compositions of their own.
  floor_div: notLowered('binary floor_div'),
  floor_mod: notLowered('binary floor_mod'),
  trunc_div: notLowered('binary trunc_div'),
  trunc_mod: notLowered('binary trunc_mod'),
  left_shift: notLowered('binary left_shift'),
  right_shift: notLowered('binary right_shift'),
  atan2: notLowered('binary atan2'),
  logical_and: notLowered('binary logical_and'),
  logical_or: notLowered('binary logical_or'),
};

const COMPARE: { readonly [F in CompareFn]: (g: GraphBuilder, a: string, b: string, out: string) => void } = {
  equal: (g, a, b, out) => void g.node('Equal', [a, b], [], out),
  not_equal: (g, a, b, out) => void g.node('Not', [g.node('Equal', [a, b])], [], out),
  less: (g, a, b, out) => void g.node('Less', [a, b], [], out),
  less_equal: (g, a, b, out) => void g.node('LessOrEqual', [a, b], [], out),
  greater: (g, a, b, out) => void g.node('Greater', [a, b], [], out),
  greater_equal: (g, a, b, out) => void g.node('GreaterOrEqual', [a, b], [], out),
};

export const elementwise: OnnxLoweringTable<'unary' | 'binary' | 'compare' | 'clip' | 'leaky_relu' | 'cast' | 'bias_add'> = {
  compare: (op, args, _result, _types, g, out) => COMPARE[op.fn](g, arg(args, 0, 'compare'), arg(args, 1, 'compare'), out),
  unary: (op, args, result, _types, g, out) => UNARY[op.fn](g, arg(args, 0, 'unary'), out, result.dtype),
  binary: (op, args, _result, _types, g, out) => BINARY[op.fn](g, arg(args, 0, 'binary'), arg(args, 1, 'binary'), out),
  clip: (op, args, result, _types, g, out) => {
    // An open (infinite) side is no bound: an empty input name.
    const lo = Number.isFinite(op.min) ? g.scalar(op.min, result.dtype) : '';
    const hi = Number.isFinite(op.max) ? g.scalar(op.max, result.dtype) : '';
    g.node('Clip', [arg(args, 0, 'clip'), lo, hi], [], out);
  },
  leaky_relu: (op, args, _result, _types, g, out) => void g.node('LeakyRelu', [arg(args, 0, 'leaky_relu')], [attr.float('alpha', op.alpha)], out),
  cast: (op, args, _result, _types, g, out) => void g.node('Cast', [arg(args, 0, 'cast')], [attr.int('to', onnxDtype(op.dtype))], out),
  bias_add: (op, args, _result, types, g, out) => {
    const rank = argType(types, 0, 'bias_add').shape.length;
    const axis = op.axis < 0 ? op.axis + rank : op.axis;
    let bias = arg(args, 1, 'bias_add');
    // Broadcasting aligns trailing dimensions: the bias gets ones after its axis.
    if (axis !== rank - 1) bias = g.node('Reshape', [bias, g.int64s([-1, ...Array.from({ length: rank - 1 - axis }, () => 1)])]);
    g.node('Add', [arg(args, 0, 'bias_add'), bias], [], out);
  },
};
