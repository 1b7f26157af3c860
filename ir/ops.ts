// The operations of the mid-level IR. TensorFlow conventions are normalised on
// the way in (explicit pads, explicit layouts and transpose flags, batch norm
// as scale/shift), so emitters translate one op to one target op without
// knowing anything about TensorFlow.
//
// Every op lists its operands in `args` (value ids); the remaining fields are
// attributes. The printer and the verifier rely on that shape.

import type { DType } from './types.js';

export type ValueId = number;

export type UnaryFn =
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'square'
  | 'neg'
  | 'abs'
  | 'erf'
  | 'softplus'
  | 'elu'
  | 'selu'
  | 'floor'
  | 'ceil'
  | 'identity';

export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'pow' | 'squared_difference';

export type ReduceFn = 'sum' | 'mean' | 'max' | 'min' | 'prod';

export type Layout2d = 'NHWC' | 'NCHW';

export type Op =
  /** 2-D convolution; pads are [top, left, bottom, right]. Depthwise: groups = C, kernel HWOI. */
  | {
      readonly kind: 'conv2d';
      readonly args: readonly [data: ValueId, weight: ValueId];
      readonly strides: readonly [number, number];
      readonly dilations: readonly [number, number];
      readonly pads: readonly [number, number, number, number];
      readonly groups: number;
      readonly dataLayout: Layout2d;
      readonly kernelLayout: 'HWIO' | 'HWOI';
    }
  /** y = x · wᵀ with w laid out [units, in] (TensorFlow's [in, units] is transposed at import). */
  | { readonly kind: 'dense'; readonly args: readonly [data: ValueId, weight: ValueId] }
  /** Batched matmul on rank-3 operands with equal batch; transpose flags explicit. */
  | {
      readonly kind: 'batch_matmul';
      readonly args: readonly [a: ValueId, b: ValueId];
      readonly transposeA: boolean;
      readonly transposeB: boolean;
    }
  | { readonly kind: 'bias_add'; readonly args: readonly [data: ValueId, bias: ValueId]; readonly axis: number }
  | { readonly kind: 'unary'; readonly fn: UnaryFn; readonly args: readonly [x: ValueId] }
  | { readonly kind: 'binary'; readonly fn: BinaryFn; readonly args: readonly [a: ValueId, b: ValueId] }
  | { readonly kind: 'clip'; readonly args: readonly [x: ValueId]; readonly min: number; readonly max: number }
  | { readonly kind: 'leaky_relu'; readonly args: readonly [x: ValueId]; readonly alpha: number }
  | { readonly kind: 'softmax'; readonly args: readonly [x: ValueId]; readonly axis: number; readonly log: boolean }
  | { readonly kind: 'reshape'; readonly args: readonly [x: ValueId]; readonly shape: readonly number[] }
  | { readonly kind: 'transpose'; readonly args: readonly [x: ValueId]; readonly perm: readonly number[] }
  | { readonly kind: 'cast'; readonly args: readonly [x: ValueId]; readonly dtype: DType }
  | {
      readonly kind: 'reduce';
      readonly fn: ReduceFn;
      readonly args: readonly [x: ValueId];
      readonly axes: readonly number[];
      readonly keepDims: boolean;
    }
  | {
      readonly kind: 'pool2d';
      readonly fn: 'max' | 'avg';
      readonly args: readonly [x: ValueId];
      readonly size: readonly [number, number];
      readonly strides: readonly [number, number];
      readonly pads: readonly [number, number, number, number];
      readonly layout: Layout2d;
    }
  | { readonly kind: 'concat'; readonly args: readonly ValueId[]; readonly axis: number }
  | {
      readonly kind: 'pad';
      readonly args: readonly [x: ValueId];
      /** [before, after] per dimension. */
      readonly pads: readonly (readonly [number, number])[];
      readonly mode: 'constant' | 'reflect' | 'symmetric';
      readonly value: number;
    }
  | {
      readonly kind: 'strided_slice';
      readonly args: readonly [x: ValueId];
      readonly begin: readonly number[];
      readonly end: readonly number[];
      readonly strides: readonly number[];
    }
  | { readonly kind: 'stack'; readonly args: readonly ValueId[]; readonly axis: number };

export type OpKind = Op['kind'];
