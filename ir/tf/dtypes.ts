// TensorFlow DataType enum values <-> IR dtypes. Only the dtypes the IR can
// compile are mapped; anything else is a reason to keep a node in TensorFlow.

import type { DType } from '../types.js';
import { errors } from '../support/diagnostics.js';

const TF_TO_IR: ReadonlyMap<number, DType> = new Map<number, DType>([
  [1, 'float32'],
  [2, 'float64'],
  [3, 'int32'],
  [4, 'uint8'],
  [5, 'int16'],
  [6, 'int8'],
  [9, 'int64'],
  [10, 'bool'],
  [14, 'bfloat16'],
  [19, 'float16'],
]);

const IR_TO_TF: ReadonlyMap<DType, number> = new Map([...TF_TO_IR].map(([k, v]) => [v, k]));

export function dtypeFromTf(t: number): DType | undefined {
  return TF_TO_IR.get(t);
}

export function dtypeToTf(d: DType): number {
  const t = IR_TO_TF.get(d);
  if (t === undefined) throw errors.internal(`no TensorFlow dtype for ${d}`);
  return t;
}
