// dense (weights [units, in]) and batch_matmul (both transpose flags always
// written: Relay text defaults transpose_b to False, the Python API to True).

import type { LoweringTable } from './lowering.js';
import { arg, argType, dim } from './lowering.js';
import { boolAttr, intList } from '../text.js';

export const matmul: LoweringTable<'dense' | 'batch_matmul'> = {
  dense: (_op, args, result, types) => {
    const x = arg(args, 0, 'dense');
    const w = arg(args, 1, 'dense');
    const units = dim(result, result.shape.length - 1, 'dense');
    const shape = argType(types, 0, 'dense').shape;
    if (shape.length === 2) return `nn.dense(${x}, ${w}, units=${units})`;
    // Relay types N-d dense, but x86's dense schedules only take 2-d data:
    // flatten the leading dimensions around it.
    const k = dim(argType(types, 0, 'dense'), shape.length - 1, 'dense');
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    return `reshape(nn.dense(reshape(${x}, newshape=${intList([rows, k])}), ${w}, units=${units}), newshape=${intList(result.shape)})`;
  },
  batch_matmul: (op, args) =>
    `nn.batch_matmul(${arg(args, 0, 'batch_matmul')}, ${arg(args, 1, 'batch_matmul')}, ` +
    `transpose_a=${boolAttr(op.transposeA)}, transpose_b=${boolAttr(op.transposeB)})`,
};
