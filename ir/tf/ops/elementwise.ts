// Binary elementwise ops with NumPy broadcasting, and BiasAdd.

import type { BinaryFn } from '../../ops.js';
import { broadcastShapes } from '../../types.js';
import { Unsupported, type OpTable, type TfOpDef } from '../registry.js';
import { floatInput, spatial } from './common.js';

function binary(fn: BinaryFn): TfOpDef {
  return {
    category: 'elementwise',
    infer(c) {
      const a = floatInput(c, 0);
      const b = floatInput(c, 1);
      if (a.dtype !== b.dtype) throw new Unsupported(`dtypes ${a.dtype} and ${b.dtype} differ`);
      const shape = broadcastShapes(a.shape, b.shape);
      if (!shape) throw new Unsupported(`shapes [${a.shape}] and [${b.shape}] do not broadcast`);
      return [{ dtype: a.dtype, shape }];
    },
    lower: (c) => [c.emit({ kind: 'binary', fn, args: [c.value(0), c.value(1)] }, c.outputs[0]!)],
  };
}

export const elementwiseOps: OpTable = {
  Add: binary('add'),
  AddV2: binary('add'),
  Sub: binary('sub'),
  Mul: binary('mul'),
  RealDiv: binary('div'),
  Maximum: binary('max'),
  Minimum: binary('min'),
  SquaredDifference: binary('squared_difference'),
  BiasAdd: {
    category: 'elementwise',
    infer(c) {
      const x = floatInput(c, 0);
      const b = floatInput(c, 1);
      const format = c.attrs.str('data_format', 'NHWC');
      const axis = format === 'NHWC' ? x.shape.length - 1 : spatial(format).c;
      if (b.shape.length !== 1 || b.shape[0] !== x.shape[axis]) throw new Unsupported('bias does not match channels');
      return [x];
    },
    lower(c) {
      const x = c.inputs[0]!;
      const format = c.attrs.str('data_format', 'NHWC');
      const axis = format === 'NHWC' ? x.shape.length - 1 : 1;
      return [c.emit({ kind: 'bias_add', args: [c.value(0), c.value(1)], axis }, c.outputs[0]!)];
    },
  },
};
