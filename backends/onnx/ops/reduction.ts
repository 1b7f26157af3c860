// reduce as ONNX Reduce* (opset 18: the axes are an input). An empty axis
// list reduces nothing (the IR's meaning): an Identity.

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType } from './lowering.js';
import { onnxDtype } from './dtypes.js';
import { normAxis } from '../../../ir/types.js';

const OP = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' } as const;
// ONNX's Reduce* take no bool before opset 20: all/any as min/max over 0/1 in int32.
const BOOLEAN = { all: 'ReduceMin', any: 'ReduceMax' } as const;

export const reduction: OnnxLoweringTable<'reduce'> = {
  reduce: (op, args, _result, types, g, out) => {
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
