// Operands of an IR instruction as a backend's lowering sees them: operand i's
// name and type, or an internal error when the op was built with too few.

import { errors } from './support/diagnostics.js';
import type { TensorType } from './types.js';

/** Operand `i`, or an internal error when the op was built with too few. */
export function arg(args: readonly string[], i: number, kind: string): string {
  const a = args[i];
  if (a === undefined) throw errors.internal(`${kind}: missing operand ${i}`);
  return a;
}

export function argType(types: readonly TensorType[], i: number, kind: string): TensorType {
  const t = types[i];
  if (t === undefined) throw errors.internal(`${kind}: missing type of operand ${i}`);
  return t;
}
