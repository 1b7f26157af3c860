// MaxPool / AvgPool (and MaxPoolV2, whose ksize and strides are inputs): TF
// padding modes become explicit pads, data_format stays explicit. AvgPool with
// SAME padding averages only the real elements, as the IR's pool2d avg does.
// The output type is the IR pool2d's own type rule applied to the op the node
// lowers to.

import type { Op, ValueId } from '../../ops.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { constIntsOf, dataFormat, FLOAT_DTYPES, floatInput, irType, spatialPair, spatialTriple, window3d, windowPads } from './common.js';

/** The IR pool2d a pooling node lowers to. */
function poolOp(c: NodeCtx, fn: 'max' | 'avg', fromInputs: boolean, arg: ValueId): Extract<Op, { kind: 'pool2d' }> {
  const layout = dataFormat(c);
  const x = floatInput(c, 0);
  if (x.shape.length !== 4) throw new Unsupported('input must be rank 4');
  const size = spatialPair(fromInputs ? constIntsOf(c, 1) : c.attrs.ints('ksize'), layout, 'ksize');
  const strides = spatialPair(fromInputs ? constIntsOf(c, 2) : c.attrs.ints('strides'), layout, 'strides');
  const pads = windowPads(c, x, layout, size, strides);
  return { kind: 'pool2d', fn, args: [arg], size, strides, pads, layout };
}

function pool(fn: 'max' | 'avg', fromInputs = false): TfOpDef {
  return {
    category: 'pooling',
    dtypes: FLOAT_DTYPES,
    refuses: [
      { variant: 'input not of rank 4', reason: 'unsupported-variant' },
      { variant: 'data_format other than NHWC or NCHW', reason: 'unsupported-variant' },
      { variant: 'ksize or strides on the batch or channel dimension', reason: 'unsupported-variant' },
      { variant: 'padding other than SAME, VALID or EXPLICIT', reason: 'unsupported-variant' },
      { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
    ],
    constInputs: fromInputs ? [1, 2] : [],
    infer: (c) => [irType(poolOp(c, fn, fromInputs, 0), [floatInput(c, 0)])],
    lower: (c) => [c.emit(poolOp(c, fn, fromInputs, c.value(0)), c.outputs[0]!)],
  };
}

function pool3dOp(c: NodeCtx, fn: 'max' | 'avg', arg: ValueId): Op {
  const x = floatInput(c, 0);
  if (x.shape.length !== 5) throw new Unsupported('input must be rank 5');
  const size = spatialTriple(c, c.attrs.ints('ksize'), 'ksize');
  const strides = spatialTriple(c, c.attrs.ints('strides'), 'strides');
  return { kind: 'pool3d', fn, args: [arg], size, strides, pads: window3d(c, x, size, strides) };
}

function pool3d(fn: 'max' | 'avg'): TfOpDef {
  return {
    category: 'pooling',
    dtypes: FLOAT_DTYPES,
    refuses: [
      { variant: 'input not of rank 5', reason: 'unsupported-variant' },
      { variant: 'data_format other than NDHWC', reason: 'unsupported-variant' },
      { variant: 'ksize or strides on the batch or channel dimension', reason: 'unsupported-variant' },
      { variant: 'padding other than SAME or VALID', reason: 'unsupported-variant' },
      { variant: 'a window larger than the padded input', reason: 'unsupported-variant' },
    ],
    infer: (c) => [irType(pool3dOp(c, fn, 0), [floatInput(c, 0)])],
    lower: (c) => [c.emit(pool3dOp(c, fn, c.value(0)), c.outputs[0]!)],
  };
}

export const poolingOps: OpTable = {
  MaxPool3D: pool3d('max'),
  AvgPool3D: pool3d('avg'),
  MaxPool: pool('max'),
  MaxPoolV2: pool('max', true),
  AvgPool: pool('avg'),
};
