// The full ONNX lowering table: every IR op kind maps to exactly one entry. A
// new op kind in ir/ops.ts that no table covers is a compile error here.

import type { OpKind } from '../../../ir/ops.js';
import type { OnnxLoweringTable } from './lowering.js';
import { convolution } from './convolution.js';
import { elementwise } from './elementwise.js';
import { matmul } from './matmul.js';
import { pooling } from './pooling.js';
import { reduction } from './reduction.js';
import { pending } from './pending.js';
import { shape } from './shape.js';
import { softmax } from './softmax.js';

export const ONNX_LOWERINGS: OnnxLoweringTable<OpKind> = {
  ...convolution,
  ...matmul,
  ...elementwise,
  ...softmax,
  ...pooling,
  ...reduction,
  ...shape,
  ...pending,
};
