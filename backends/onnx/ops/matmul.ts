// dense (weights [units, in]: y = x . w^T) and batch_matmul (rank 3, explicit
// transposes) as ONNX Gemm / MatMul.

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType, notLowered } from './lowering.js';

// ONNX Runtime fuses MatMul and Transpose into Gemm, which it has no integer kernel for.
const isInteger = (d: string): boolean => d.startsWith('int') || d.startsWith('uint');

export const matmul: OnnxLoweringTable<'dense' | 'batch_matmul'> = {
  dense: (_op, args, result, types, g, out) => {
    if (isInteger(result.dtype)) notLowered('integer dense')();
    const x = arg(args, 0, 'dense');
    const w = arg(args, 1, 'dense');
    if (argType(types, 0, 'dense').shape.length === 2) {
      g.node('Gemm', [x, w], [attr.int('transB', 1)], out);
      return;
    }
    g.node('MatMul', [x, g.node('Transpose', [w], [attr.ints('perm', [1, 0])])], [], out);
  },
  batch_matmul: (op, args, result, _types, g, out) => {
    if (isInteger(result.dtype)) notLowered('integer batch_matmul')();
    const t = (x: string, yes: boolean): string => (yes ? g.node('Transpose', [x], [attr.ints('perm', [0, 2, 1])]) : x);
    g.node('MatMul', [t(arg(args, 0, 'batch_matmul'), op.transposeA), t(arg(args, 1, 'batch_matmul'), op.transposeB)], [], out);
  },
};
