// Unary activations and math functions. Relu6 is a clip; LeakyRelu keeps its
// alpha explicit. Round and Rint round half to even, as TensorFlow does;
// Log1p and Expm1 keep full precision near 0.

import type { UnaryFn } from '../../ops.js';
import type { OpTable, TfOpDef } from '../registry.js';
import { FLOAT_DTYPES, floatInput } from './common.js';

function unary(fn: UnaryFn): TfOpDef {
  return {
    category: 'activation',
    dtypes: FLOAT_DTYPES,
    infer: (c) => [floatInput(c, 0)],
    lower: (c) => [c.emit({ kind: 'unary', fn, args: [c.value(0)] }, c.outputs[0]!)],
  };
}

export const activationOps: OpTable = {
  Relu: unary('relu'),
  Sigmoid: unary('sigmoid'),
  Tanh: unary('tanh'),
  Exp: unary('exp'),
  Log: unary('log'),
  Sqrt: unary('sqrt'),
  Rsqrt: unary('rsqrt'),
  Square: unary('square'),
  Neg: unary('neg'),
  Abs: unary('abs'),
  Erf: unary('erf'),
  Softplus: unary('softplus'),
  Elu: unary('elu'),
  Selu: unary('selu'),
  Floor: unary('floor'),
  Ceil: unary('ceil'),
  Round: unary('round'),
  Rint: unary('round'),
  Sign: unary('sign'),
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
    dtypes: FLOAT_DTYPES,
    infer: (c) => [floatInput(c, 0)],
    lower: (c) => [c.emit({ kind: 'clip', args: [c.value(0)], min: 0, max: 6 }, c.outputs[0]!)],
  },
  LeakyRelu: {
    category: 'activation',
    dtypes: FLOAT_DTYPES,
    infer: (c) => [floatInput(c, 0)],
    lower: (c) => [c.emit({ kind: 'leaky_relu', args: [c.value(0)], alpha: c.attrs.float('alpha', 0.2) }, c.outputs[0]!)],
  },
};
