// Const nodes -> compile-time constant tensors in IR dtypes.

import { decodeTensor, type NodeDef, type TensorProto } from './graphdef/io.js';
import { dtypeFromTf } from './dtypes.js';
import type { ConstData, ConstTensor } from './consts.js';

export function tensorFromProto(node: NodeDef): ConstTensor | undefined {
  const value = node.attr?.['value']?.tensor as TensorProto | undefined | null;
  // Only dtypes the IR has are decoded (graphdef/check.ts has checked their contents).
  if (!value || dtypeFromTf(value.dtype) === undefined) return undefined;
  const d = decodeTensor(value);
  const dtype = dtypeFromTf(d.dtype);
  if (!dtype || Array.isArray(d.data)) return undefined;
  return { dtype, shape: d.shape, data: d.data as ConstData };
}
