// Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput: TF padding modes become explicit pads,
// data_format is kept explicit (NHWC or NCHW), filters stay HWIO / HWOI. The
// output type is the IR conv2d's own type rule applied to the op the node
// lowers to, so inference and lowering build the same op.

import type { Op, ValueId } from '../../ops.js';
import { Unsupported, type NodeCtx, type OpTable, type Refusal, type TfOpDef } from '../registry.js';
import type { DType, TensorType } from '../../types.js';
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

/**
 * The dilated convolution a SpaceToBatchND -> Conv2D / DepthwiseConv2dNative
 * -> BatchToSpaceND chain stands for (how TF1 writes an a trous
 * convolution): each of the block's b*b batches holds every b-th pixel of the
 * padded input, so a stride-1 convolution of each one, interleaved back, is
 * the convolution of the padded input with dilation b; the conv's own pads
 * (q) become b*q, and the crops come off the paddings. `conv` is the conv
 * node's context (its input typed as SpaceToBatchND's output), `x` the
 * SpaceToBatchND input, `paddings` and `crops` [before, after] per spatial
 * dimension. Undefined when the chain is no dilated convolution (strides or
 * dilations inside, NCHW, crops beyond the paddings): it is lowered op by op.
 */
export function atrousConvOp(
  conv: NodeCtx,
  x: TensorType,
  block: readonly number[],
  paddings: readonly (readonly [number, number])[],
  crops: readonly (readonly [number, number])[],
  args: readonly [ValueId, ValueId],
): Extract<Op, { kind: 'conv2d' }> | undefined {
  if (block.length !== 2 || x.shape.length !== 4) return undefined;
  let inner: Extract<Op, { kind: 'conv2d' }>;
  try {
    inner = convOp(conv, conv.node.op === 'DepthwiseConv2dNative', args);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  if (inner.dataLayout !== 'NHWC' || inner.strides.some((v) => v !== 1) || inner.dilations.some((v) => v !== 1)) return undefined;
  const [bh, bw] = [block[0]!, block[1]!];
  const [q0, q1, q2, q3] = inner.pads;
  const pads: [number, number, number, number] = [
    paddings[0]![0] + bh * q0 - crops[0]![0],
    paddings[1]![0] + bw * q1 - crops[1]![0],
    paddings[0]![1] + bh * q2 - crops[0]![1],
    paddings[1]![1] + bw * q3 - crops[1]![1],
  ];
  if (pads.some((p) => p < 0)) return undefined;
  return { ...inner, dilations: [bh, bw], pads };
}

export const convolutionOps: OpTable = {
  Conv3DBackpropInputV2: conv3dTranspose,
  Conv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
  Conv2DBackpropInput: convTranspose,
  Conv3D: conv3d,
};
