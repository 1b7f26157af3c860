// dense (weights [units, in]) and batch_matmul (both transpose flags always
// written: Relay text defaults transpose_b to False, the Python API to True).

import type { LoweringTable } from './lowering.js';
import { arg, dim } from './lowering.js';
import { boolAttr } from '../text.js';

export const matmul: LoweringTable<'dense' | 'batch_matmul'> = {
  dense: (_op, args, result) =>
    `nn.dense(${arg(args, 0, 'dense')}, ${arg(args, 1, 'dense')}, units=${dim(result, result.shape.length - 1, 'dense')})`,
  batch_matmul: (op, args) =>
    `nn.batch_matmul(${arg(args, 0, 'batch_matmul')}, ${arg(args, 1, 'batch_matmul')}, ` +
    `transpose_a=${boolAttr(op.transposeA)}, transpose_b=${boolAttr(op.transposeB)})`,
};
