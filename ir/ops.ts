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
  | 'identity'
  /** Round half to even (TensorFlow's Round and Rint). */
  | 'round'
  | 'sign'
  | 'sin'
  | 'cos'
  | 'tan'
  | 'asin'
  | 'acos'
  | 'atan'
  | 'sinh'
  | 'cosh'
  | 'asinh'
  | 'acosh'
  | 'atanh'
  | 'log1p'
  | 'expm1'
  | 'softsign'
  /** On bool data. */
  | 'logical_not';

export type BinaryFn =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'max'
  | 'min'
  | 'pow'
  | 'squared_difference'
  /** Integer division rounding toward -inf (floats: floor(a / b)); the remainder takes the divisor's sign. */
  | 'floor_div'
  | 'floor_mod'
  /** Integer division rounding toward zero; the remainder takes the dividend's sign (floats: fmod). */
  | 'trunc_div'
  | 'trunc_mod'
  /** Shift amounts are clamped to [0, bits - 1] first, as TensorFlow's kernels do. */
  | 'left_shift'
  | 'right_shift'
  | 'atan2'
  /** On bool data. */
  | 'logical_and'
  | 'logical_or';

export type CompareFn = 'equal' | 'not_equal' | 'less' | 'less_equal' | 'greater' | 'greater_equal';

/** Elementwise float tests, bool results. */
export type TestFn = 'isnan' | 'isinf' | 'isfinite';

/** all / any reduce bool data. */
export type ReduceFn = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'all' | 'any';

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
  /**
   * The gradient of conv2d with respect to its data (TensorFlow's
   * Conv2DBackpropInput): weight HWOI as TensorFlow's filter [kh, kw, out, in];
   * pads those of the forward convolution, outputPadding the rows and columns
   * the forward stride left over.
   */
  | {
      readonly kind: 'conv2d_transpose';
      readonly args: readonly [data: ValueId, weight: ValueId];
      readonly strides: readonly [number, number];
      readonly pads: readonly [number, number, number, number];
      readonly outputPadding: readonly [number, number];
      readonly dataLayout: Layout2d;
    }
  /** 3-D convolution of NDHWC data with a DHWIO kernel; pads [front, top, left, back, bottom, right]. */
  | {
      readonly kind: 'conv3d';
      readonly args: readonly [data: ValueId, weight: ValueId];
      readonly strides: readonly [number, number, number];
      readonly dilations: readonly [number, number, number];
      readonly pads: readonly [number, number, number, number, number, number];
    }
  /**
   * The gradient of conv3d with respect to its data (TensorFlow's
   * Conv3DBackpropInputV2) on NDHWC data: weight as TensorFlow's filter
   * [kd, kh, kw, out, in]; pads those of the forward convolution, outputPadding
   * the planes, rows and columns the forward stride left over.
   */
  | {
      readonly kind: 'conv3d_transpose';
      readonly args: readonly [data: ValueId, weight: ValueId];
      readonly strides: readonly [number, number, number];
      readonly pads: readonly [number, number, number, number, number, number];
      readonly outputPadding: readonly [number, number, number];
    }
  /** 3-D pooling of NDHWC data (avg counts only the real elements); pads as conv3d's. */
  | {
      readonly kind: 'pool3d';
      readonly fn: 'max' | 'avg';
      readonly args: readonly [x: ValueId];
      readonly size: readonly [number, number, number];
      readonly strides: readonly [number, number, number];
      readonly pads: readonly [number, number, number, number, number, number];
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
  | { readonly kind: 'stack'; readonly args: readonly ValueId[]; readonly axis: number }
  /** Broadcasting comparison: bool result. */
  | { readonly kind: 'compare'; readonly fn: CompareFn; readonly args: readonly [a: ValueId, b: ValueId] }
  | { readonly kind: 'test'; readonly fn: TestFn; readonly args: readonly [x: ValueId] }
  /** cond ? a : b with NumPy broadcasting of all three (cond bool). */
  | { readonly kind: 'select'; readonly args: readonly [cond: ValueId, a: ValueId, b: ValueId] }
  /**
   * Gather along `axis` of data by integer indices, the first `batchDims`
   * dimensions of data and indices shared: data[:axis] + indices[batchDims:] + data[axis+1:].
   */
  | { readonly kind: 'take'; readonly args: readonly [data: ValueId, indices: ValueId]; readonly axis: number; readonly batchDims: number }
  /** TensorFlow's GatherNd: the last dimension of indices indexes the leading dimensions of data. */
  | { readonly kind: 'gather_nd'; readonly args: readonly [data: ValueId, indices: ValueId] }
  | { readonly kind: 'tile'; readonly args: readonly [x: ValueId]; readonly reps: readonly number[] }
  | { readonly kind: 'broadcast_to'; readonly args: readonly [x: ValueId]; readonly shape: readonly number[] }
  /** A tensor of x's shape and dtype filled with `value`. */
  | { readonly kind: 'fill_like'; readonly args: readonly [x: ValueId]; readonly value: number }
  /** Index of the first max / min along `axis` (dropped), as `dtype`. */
  | { readonly kind: 'arg_reduce'; readonly fn: 'max' | 'min'; readonly args: readonly [x: ValueId]; readonly axis: number; readonly dtype: DType }
  /** The k largest along the last axis (sorted, descending; ties by lower index): values, or their indices as int32. */
  | { readonly kind: 'top_k'; readonly args: readonly [x: ValueId]; readonly k: number; readonly output: 'values' | 'indices' }
  /** indices -> on/off (scalars of dtype) with a new axis of `depth` at `axis`. */
  | {
      readonly kind: 'one_hot';
      readonly args: readonly [indices: ValueId, on: ValueId, off: ValueId];
      readonly depth: number;
      readonly axis: number;
    }
  /**
   * Resize of NHWC data to `size` [h, w]: how output pixels map to input
   * coordinates (mode), how nearest rounds them, and the cubic kernel's a and
   * whether taps outside the input are dropped (weights renormalised).
   */
  | {
      readonly kind: 'resize2d';
      readonly args: readonly [x: ValueId];
      readonly size: readonly [number, number];
      readonly method: 'linear' | 'nearest_neighbor' | 'cubic';
      readonly mode: 'align_corners' | 'half_pixel' | 'asymmetric' | 'tf_half_pixel_for_nn';
      readonly rounding: 'floor' | 'round_prefer_ceil' | '';
      readonly cubicAlpha: number;
      readonly cubicExclude: boolean;
    }
  /**
   * TensorFlow's CropAndResize: for each box (normalised [y1, x1, y2, x2],
   * the image it crops by boxInd) a crop of NHWC data resized to `size`,
   * bilinear or nearest; samples outside the image are `extrapolation`.
   * The result is float32 whatever the data.
   */
  | {
      readonly kind: 'crop_and_resize';
      readonly args: readonly [x: ValueId, boxes: ValueId, boxInd: ValueId];
      readonly size: readonly [number, number];
      readonly method: 'bilinear' | 'nearest_neighbor';
      readonly extrapolation: number;
    }
  /** Local response normalisation across `axis`: x / (bias + alpha * sum(x^2 over size neighbours))^beta. */
  | {
      readonly kind: 'lrn';
      readonly args: readonly [x: ValueId];
      readonly axis: number;
      readonly size: number;
      readonly bias: number;
      readonly alpha: number;
      readonly beta: number;
    };

export type OpKind = Op['kind'];
