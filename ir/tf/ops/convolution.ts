// Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput: TF padding modes become explicit pads,
// data_format is kept explicit (NHWC or NCHW), filters stay HWIO / HWOI. The
// output type is the IR conv2d's own type rule applied to the op the node
// lowers to, so inference and lowering build the same op.

import type { Op, ValueId } from '../../ops.js';
import { Unsupported, type NodeCtx, type OpTable, type Refusal, type TfOpDef } from '../registry.js';
import type { DType } from '../../types.js';
import { BF16_FLOAT_DTYPES, dataFormat, input, inputOf, irType, spatial, spatialPair, spatialTriple, window3d, windowPads } from './common.js';

/** Conv2D and Conv2DBackpropInput: TensorFlow's CPU kernels take int32 too (exact, wrapping). */
const CONV2D_DTYPES: readonly DType[] = [...BF16_FLOAT_DTYPES, 'int32'];

/** The IR conv2d a Conv2D (HWIO) or DepthwiseConv2dNative (HWOI) node lowers to. */
function convOp(c: NodeCtx, depthwise: boolean, args: readonly [ValueId, ValueId]): Extract<Op, { kind: 'conv2d' }> {
  const x = inputOf(c, 0, depthwise ? BF16_FLOAT_DTYPES : CONV2D_DTYPES);
  const f = input(c, 1);
  if (x.shape.length !== 4 || f.shape.length !== 4) throw new Unsupported('input and filter must be rank 4');
  const format = dataFormat(c);
  const strides = spatialPair(c.attrs.ints('strides', [1, 1, 1, 1]), format, 'strides');
  const dilations = spatialPair(c.attrs.ints('dilations', [1, 1, 1, 1]), format, 'dilations');
  const pads = windowPads(c, x, format, [f.shape[0]!, f.shape[1]!], strides, dilations);
  const inC = x.shape[spatial(format).c]!;
  const groups = depthwise ? inC : inC / f.shape[2]!;
  if (!Number.isInteger(groups) || (depthwise && f.shape[2] !== inC)) {
    throw new Unsupported(`filter ${f.shape} does not fit ${inC} input channels`);
  }
  return { kind: 'conv2d', args, strides, dilations, pads, groups, dataLayout: format, kernelLayout: depthwise ? 'HWOI' : 'HWIO' };
}

const REFUSES: readonly Refusal[] = [
  { variant: 'input or filter not of rank 4', reason: 'unsupported-variant' },
  { variant: 'data_format other than NHWC or NCHW', reason: 'unsupported-variant' },
  { variant: 'strides or dilations on the batch or channel dimension', reason: 'unsupported-variant' },
  { variant: 'padding other than SAME, VALID or EXPLICIT', reason: 'unsupported-variant' },
  { variant: 'EXPLICIT padding without 8 explicit_paddings', reason: 'unsupported-variant' },
  { variant: 'a filter whose input channels do not fit the data', reason: 'unsupported-variant' },
  { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
];

function conv(depthwise: boolean): TfOpDef {
  return {
    category: 'convolution',
    compute: true,
    dtypes: depthwise ? BF16_FLOAT_DTYPES : CONV2D_DTYPES,
    refuses: REFUSES,
    infer: (c) => [irType(convOp(c, depthwise, [0, 1]), [input(c, 0), input(c, 1)])],
    lower: (c) => [c.emit(convOp(c, depthwise, [c.value(0), c.value(1)]), c.outputs[0]!)],
  };
}

/**
 * Conv2DBackpropInput: input_sizes (constant) is the forward convolution's
 * input, whose padding the forward pads come from; the transposed convolution
 * reproduces that size with an output padding of the rows the stride left.
 */
function convTransposeOp(c: NodeCtx, args: readonly [ValueId, ValueId]): Extract<Op, { kind: 'conv2d_transpose' }> {
  const sizes = c.constInput(0);
  if (!sizes) throw new Unsupported('input_sizes must be a compile-time constant', 'needs-constant');
  const dims = Array.from(sizes.data as Iterable<number | bigint>, Number);
  const f = input(c, 1);
  const dy = inputOf(c, 2, CONV2D_DTYPES);
  if (dims.length !== 4 || f.shape.length !== 4 || dy.shape.length !== 4)
    throw new Unsupported('input_sizes, filter and out_backprop must be of rank 4');
  const format = dataFormat(c);
  const strides = spatialPair(c.attrs.ints('strides', [1, 1, 1, 1]), format, 'strides');
  const dilations = spatialPair(c.attrs.ints('dilations', [1, 1, 1, 1]), format, 'dilations');
  if (dilations[0] !== 1 || dilations[1] !== 1) throw new Unsupported('dilations (TensorFlow has no CPU kernel for them)');
  const { h, w } = spatial(format);
  const x = { dtype: dy.dtype, shape: dims };
  const pads = windowPads(c, x, format, [f.shape[0]!, f.shape[1]!], strides);
  const outputPadding = [h, w].map((d, i) => {
    const k = f.shape[i]!;
    const made = (dy.shape[d]! - 1) * strides[i]! + k - pads[i]! - pads[i + 2]!;
    return dims[d]! - made;
  }) as [number, number];
  return { kind: 'conv2d_transpose', args, strides, pads, outputPadding, dataLayout: format };
}

const convTranspose: TfOpDef = {
  category: 'convolution',
  compute: true,
  constInputs: [0],
  dtypes: CONV2D_DTYPES,
  refuses: [
    { variant: 'input_sizes, filter or out_backprop not of rank 4', reason: 'unsupported-variant' },
    { variant: 'dilations other than 1', reason: 'unsupported-variant' },
    { variant: 'sizes that do not fit the forward convolution', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const op = convTransposeOp(c, [0, 1]);
    const t = irType(op, [input(c, 2), input(c, 1)]);
    const want = Array.from(c.constInput(0)!.data as Iterable<number | bigint>, Number);
    if (t.shape.some((d, i) => d !== want[i])) throw new Unsupported(`out_backprop [${input(c, 2).shape}] does not come from input [${want}]`);
    return [t];
  },
  lower: (c) => [c.emit(convTransposeOp(c, [c.value(2), c.value(1)]), c.outputs[0]!)],
};

function conv3dOp(c: NodeCtx, args: readonly [ValueId, ValueId]): Op {
  const x = inputOf(c, 0, BF16_FLOAT_DTYPES);
  const f = input(c, 1);
  if (x.shape.length !== 5 || f.shape.length !== 5) throw new Unsupported('input and filter must be rank 5');
  const strides = spatialTriple(c, c.attrs.ints('strides', [1, 1, 1, 1, 1]), 'strides');
  const dilations = spatialTriple(c, c.attrs.ints('dilations', [1, 1, 1, 1, 1]), 'dilations');
  const pads = window3d(c, x, f.shape.slice(0, 3), strides, dilations);
  return { kind: 'conv3d', args, strides, dilations, pads };
}

const conv3d: TfOpDef = {
  category: 'convolution',
  compute: true,
  dtypes: BF16_FLOAT_DTYPES,
  refuses: [
    { variant: 'input or filter not of rank 5', reason: 'unsupported-variant' },
    { variant: 'data_format other than NDHWC', reason: 'unsupported-variant' },
    { variant: 'strides or dilations on the batch or channel dimension', reason: 'unsupported-variant' },
    { variant: 'padding other than SAME or VALID', reason: 'unsupported-variant' },
    { variant: 'grouped filters (input channels that differ from the data)', reason: 'unsupported-variant' },
  ],
  infer: (c) => [irType(conv3dOp(c, [0, 1]), [input(c, 0), input(c, 1)])],
  lower: (c) => [c.emit(conv3dOp(c, [c.value(0), c.value(1)]), c.outputs[0]!)],
};

/**
 * Conv3DBackpropInputV2: as Conv2DBackpropInput, in three dimensions and
 * NDHWC only; input_sizes (constant) is the forward convolution's input.
 */
function conv3dTransposeOp(c: NodeCtx, args: readonly [ValueId, ValueId]): Extract<Op, { kind: 'conv3d_transpose' }> {
  const sizes = c.constInput(0);
  if (!sizes) throw new Unsupported('input_sizes must be a compile-time constant', 'needs-constant');
  const dims = Array.from(sizes.data as Iterable<number | bigint>, Number);
  const f = input(c, 1);
  const dy = inputOf(c, 2, BF16_FLOAT_DTYPES);
  if (dims.length !== 5 || f.shape.length !== 5 || dy.shape.length !== 5)
    throw new Unsupported('input_sizes, filter and out_backprop must be of rank 5');
  const strides = spatialTriple(c, c.attrs.ints('strides', [1, 1, 1, 1, 1]), 'strides');
  const dilations = spatialTriple(c, c.attrs.ints('dilations', [1, 1, 1, 1, 1]), 'dilations');
  if (dilations.some((d) => d !== 1)) throw new Unsupported('dilations other than 1 (not lowered: TVM has no dilated conv3d_transpose)');
  const pads = window3d(c, { dtype: dy.dtype, shape: dims }, f.shape.slice(0, 3), strides);
  const outputPadding = [0, 1, 2].map((i) => {
    const made = (dy.shape[i + 1]! - 1) * strides[i]! + f.shape[i]! - pads[i]! - pads[i + 3]!;
    return dims[i + 1]! - made;
  }) as [number, number, number];
  return { kind: 'conv3d_transpose', args, strides, pads, outputPadding };
}

const conv3dTranspose: TfOpDef = {
  category: 'convolution',
  compute: true,
  constInputs: [0],
  dtypes: BF16_FLOAT_DTYPES,
  refuses: [
    { variant: 'input_sizes, filter or out_backprop not of rank 5', reason: 'unsupported-variant' },
    { variant: 'data_format other than NDHWC', reason: 'unsupported-variant' },
    { variant: 'strides or dilations on the batch or channel dimension', reason: 'unsupported-variant' },
    { variant: 'dilations other than 1', reason: 'unsupported-variant' },
    { variant: 'padding other than SAME or VALID', reason: 'unsupported-variant' },
    { variant: 'sizes that do not fit the forward convolution', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const op = conv3dTransposeOp(c, [0, 1]);
    const t = irType(op, [input(c, 2), input(c, 1)]);
    const want = Array.from(c.constInput(0)!.data as Iterable<number | bigint>, Number);
    if (t.shape.some((d, i) => d !== want[i])) throw new Unsupported(`out_backprop [${input(c, 2).shape}] does not come from input [${want}]`);
    return [t];
  },
  lower: (c) => [c.emit(conv3dTransposeOp(c, [c.value(2), c.value(1)]), c.outputs[0]!)],
};

export const convolutionOps: OpTable = {
  Conv3DBackpropInputV2: conv3dTranspose,
  Conv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  Conv2DBackpropInput: convTranspose,
  Conv3D: conv3d,
};
