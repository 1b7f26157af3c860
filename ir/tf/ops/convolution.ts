// Conv2D and DepthwiseConv2dNative: TF padding modes become explicit pads,
// data_format is kept explicit (NHWC or NCHW), filters stay HWIO / HWOI. The
// output type is the IR conv2d's own type rule applied to the op the node
// lowers to, so inference and lowering build the same op.

import type { Op, ValueId } from '../../ops.js';
import { Unsupported, type NodeCtx, type OpTable, type Refusal, type TfOpDef } from '../registry.js';
import { dataFormat, FLOAT_DTYPES, floatInput, input, irType, spatial, spatialPair, windowPads } from './common.js';

/** The IR conv2d a Conv2D (HWIO) or DepthwiseConv2dNative (HWOI) node lowers to. */
function convOp(c: NodeCtx, depthwise: boolean, args: readonly [ValueId, ValueId]): Extract<Op, { kind: 'conv2d' }> {
  const x = floatInput(c, 0);
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
    dtypes: FLOAT_DTYPES,
    refuses: REFUSES,
    infer: (c) => [irType(convOp(c, depthwise, [0, 1]), [input(c, 0), input(c, 1)])],
    lower: (c) => [c.emit(convOp(c, depthwise, [c.value(0), c.value(1)]), c.outputs[0]!)],
  };
}

export const convolutionOps: OpTable = {
  Conv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
};
