// The shape of a lowering table: one entry per IR op kind, turning the op, the
// Relay names of its operands and its result type into one Relay expression.

import type { Op, OpKind } from '../../../ir/ops.js';
import type { TensorType } from '../../../ir/types.js';
import { errors } from '../../../ir/support/diagnostics.js';

export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;

/**
 * `args` are Relay expressions naming the operands (`%in0`, `%3`, ...);
 * `argTypes` their IR types, for lowerings that need operand shapes.
 */
export type Lowering<K extends OpKind> = (op: OpOf<K>, args: readonly string[], result: TensorType, argTypes: readonly TensorType[]) => string;

export type LoweringTable<K extends OpKind> = { readonly [P in K]: Lowering<P> };

export { arg, argType } from '../../../ir/operands.js';

export function dim(t: TensorType, i: number, kind: string): number {
  const d = t.shape[i];
  if (d === undefined) throw errors.internal(`${kind}: operand has no dimension ${i}`);
  return d;
}
