// The shape of an ONNX lowering table: one entry per IR op kind, adding the
// nodes that compute the op to the graph, its result named `out`.

import type { Op, OpKind } from '../../../ir/ops.js';
import type { TensorType } from '../../../ir/types.js';
import { OnnxUnsupported, type GraphBuilder } from '../graph.js';

export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;

/** `args`: ONNX names of the operands; `argTypes`: their IR types. */
export type OnnxLowering<K extends OpKind> = (
  op: OpOf<K>,
  args: readonly string[],
  result: TensorType,
  argTypes: readonly TensorType[],
  g: GraphBuilder,
  out: string,
) => void;

export type OnnxLoweringTable<K extends OpKind> = { readonly [P in K]: OnnxLowering<P> };

export { arg, argType } from '../../../ir/operands.js';

/** NHWC <-> NCHW around an ONNX op that only takes NCHW. */
export const TO_NCHW = [0, 3, 1, 2] as const;
export const TO_NHWC = [0, 2, 3, 1] as const;

/**
 * The entry of an op (or function) with no ONNX lowering yet: the cluster is
 * not exported (warning TF2TVM3110 says why), the rest of the output is.
 */
export function notLowered(what: string): () => never {
  return () => {
    throw new OnnxUnsupported(`${what} has no ONNX lowering yet`);
  };
}
