// reduce as ONNX Reduce* (opset 18: the axes are an input). An empty axis
// list reduces nothing (the IR's meaning): an Identity.

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType, notLowered } from './lowering.js';
import { onnxDtype } from './dtypes.js';
import { normAxis, type DType } from '../../../ir/types.js';

const OP = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' } as const;
// ONNX's Reduce* take no bool before opset 20: all/any as min/max over 0/1 in int32.
const BOOLEAN = { all: 'ReduceMin', any: 'ReduceMax' } as const;

/** The dtypes ONNX Runtime's CPU Reduce* kernels take (a cluster reducing another is not exported). */
const ORT_CPU: { readonly [F in keyof typeof OP]: readonly DType[] } = {
  sum: ['float32', 'float64', 'int32', 'int64'],
  mean: ['float32', 'float64', 'int32'],
  max: ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64'],
  min: ['float32', 'float64', 'int8', 'uint8', 'int32', 'int64'],
  prod: ['float32', 'int32', 'int64'],
};

export const reduction: OnnxLoweringTable<'reduce'> = {
  reduce: (op, args, result, types, g, out) => {
    if (op.fn !== 'all' && op.fn !== 'any' && !ORT_CPU[op.fn].includes(result.dtype)) notLowered(`${result.dtype} ${op.fn} reduction`)();
    const x = arg(args, 0, 'reduce');
    const rank = argType(types, 0, 'reduce').shape.length;
    const axes = [...new Set(op.axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
    if (axes.length === 0) {
      g.node('Identity', [x], [], out);
      return;
    }
    const keep = [attr.int('keepdims', op.keepDims ? 1 : 0)];
    if (op.fn === 'all' || op.fn === 'any') {
      const ints = g.node('Cast', [x], [attr.int('to', onnxDtype('int32'))]);
      g.node('Cast', [g.node(BOOLEAN[op.fn], [ints, g.int64s(axes)], keep)], [attr.int('to', onnxDtype('bool'))], out);
    } else g.node(OP[op.fn], [x, g.int64s(axes)], keep, out);
  },
};
