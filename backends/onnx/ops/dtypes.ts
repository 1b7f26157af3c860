// IR dtypes as ONNX TensorProto.DataType values.

import type { DType } from '../../../ir/types.js';

const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

export function onnxDtype(d: DType): number {
  return ONNX_DTYPE[d];
}
