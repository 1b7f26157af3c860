// Unary activations and math functions. Relu6 is a clip; LeakyRelu keeps its
// alpha explicit. Round and Rint round half to even, as TensorFlow does;
// Log1p and Expm1 keep full precision near 0. Each op takes exactly the
// dtypes TensorFlow has a CPU kernel for (ir/tf/kernels.json): bfloat16 is
// computed in float32 and rounded once (backends/relay/emit.ts), the integer
// kernels of Relu, Relu6, Square, Neg, Abs and Sign are exact (Round's
// integer kernels are refused: they return 0).

import type { UnaryFn } from '../../ops.js';
import type { DType } from '../../types.js';
import type { OpTable, TfOpDef } from '../registry.js';
import { BF16_FLOAT_DTYPES, inputOf } from './common.js';

/** The float kernels, bfloat16 included: every activation's. */
const FLOATS: readonly DType[] = BF16_FLOAT_DTYPES;
/** Relu, Relu6 and Square: every integer dtype too. */
const FLOATS_AND_INTS: readonly DType[] = [...FLOATS, 'int8', 'uint8', 'int16', 'int32', 'int64'];
/** Neg, Abs and Sign: the signed integers. */
const FLOATS_AND_SIGNED: readonly DType[] = [...FLOATS, 'int8', 'int16', 'int32', 'int64'];

function unary(fn: UnaryFn, dtypes: readonly DType[] = FLOATS): TfOpDef {
  return {
    category: 'activation',
    dtypes,
    infer: (c) => [inputOf(c, 0, dtypes)],
    lower: (c) => [c.emit({ kind: 'unary', fn, args: [c.value(0)] }, c.outputs[0]!)],
  };
}

export const activationOps: OpTable = {
  Relu: unary('relu', FLOATS_AND_INTS),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Rsqrt: unary('rsqrt'),
  Square: unary('square', FLOATS_AND_INTS),
  Neg: unary('neg', FLOATS_AND_SIGNED),
  Abs: unary('abs', FLOATS_AND_SIGNED),
  Erf: unary('erf'),
  Softplus: unary('softplus'),
  Elu: unary('elu'),
  Selu: unary('selu'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Round: {
    ...unary('round'),
    dtypeRefusals: [
      {
        dtypes: ['int32', 'int64'],
        why: "TensorFlow's int32 and int64 Round kernels return 0 for every input (this TensorFlow's kernel, measured): tf2tvm leaves them to TensorFlow rather than compute something else",
      },
    ],
  },
  // Rint has float32 and float64 kernels only.
  Rint: unary('round', ['float32', 'float64']),
  Sign: unary('sign', FLOATS_AND_SIGNED),
  Sin: unary('sin'),
  Cos: unary('cos'),
  Tan: unary('tan'),
  Asin: unary('asin'),
  Acos: unary('acos'),
  Atan: unary('atan'),
  Sinh: unary('sinh'),
  Cosh: unary('cosh'),
  Asinh: unary('asinh'),
  Acosh: unary('acosh'),
  Atanh: unary('atanh'),
  Log1p: unary('log1p'),
  Expm1: unary('expm1'),
  Softsign: unary('softsign'),
  Relu6: {
    category: 'activation',
    dtypes: FLOATS_AND_INTS,
    infer: (c) => [inputOf(c, 0, FLOATS_AND_INTS)],
    lower: (c) => [c.emit({ kind: 'clip', args: [c.value(0)], min: 0, max: 6 }, c.outputs[0]!)],
  },
  LeakyRelu: {
    category: 'activation',
    dtypes: FLOATS,
    infer: (c) => [inputOf(c, 0, FLOATS)],
    lower: (c) => [c.emit({ kind: 'leaky_relu', args: [c.value(0)], alpha: c.attrs.float('alpha', 0.2) }, c.outputs[0]!)],
  },
};
