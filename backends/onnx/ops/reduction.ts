// reduce as ONNX Reduce* (opset 18: the axes are an input). An empty axis
// list reduces nothing (the IR's meaning): an Identity.

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType, notLowered } from './lowering.js';
import { normAxis } from '../../../ir/types.js';

const OP = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', prod: 'ReduceProd' } as const;
const BOOLEAN = { all: notLowered('reduce all'), any: notLowered('reduce any') } as const;

export const reduction: OnnxLoweringTable<'reduce'> = {
  reduce: (op, args, _result, types, g, out) => {
    const x = arg(args, 0, 'reduce');
    const rank = argType(types, 0, 'reduce').shape.length;
    const axes = [...new Set(op.axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
    if (axes.length === 0) {
      g.node('Identity', [x], [], out);
      return;
    }
    if (op.fn === 'all' || op.fn === 'any') BOOLEAN[op.fn]();
    else g.node(OP[op.fn], [x, g.int64s(axes)], [attr.int('keepdims', op.keepDims ? 1 : 0)], out);
  },
};
