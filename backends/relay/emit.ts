// IR function -> Relay text. The text is the module's only `@main`: data
// inputs keep their IR names (in0..inN-1, the bridge op sets them by name),
// weights become parameters w0..wK-1 whose values are passed to relay.build
// (params=...) and bound there as constants — never inlined in the text.
// Instructions become graph bindings %0, %1, ... in body order, one line
// each; the last expression is the result, or a tuple of the results.

import type { IrFunction } from '../../ir/function.js';
import type { Op, OpKind, ValueId } from '../../ir/ops.js';
import type { TensorType } from '../../ir/types.js';
import { errors } from '../../ir/support/diagnostics.js';
import { LOWERINGS, type Lowering } from './ops/index.js';
import { relayType, tuple } from './text.js';

export const RELAY_HEADER = '#[version = "0.0.5"]';

export interface RelayWeight {
  /** The Relay parameter name (w0, w1, ...): the key in relay.build's params. */
  readonly name: string;
  readonly type: TensorType;
  /** Raw little-endian bytes, C order. */
  readonly bytes: Uint8Array;
  /** The IR weight's own name, for messages. */
  readonly source: string;
}

export interface EmittedRelay {
  readonly text: string;
  readonly params: readonly RelayWeight[];
  /** Data inputs in order (names as in the text). */
  readonly inputs: readonly { readonly name: string; readonly type: TensorType }[];
  /** Result types in order. */
  readonly outputs: readonly TensorType[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Arithmetic that is computed in float32 when its result is bfloat16, then
 * rounded back: what TensorFlow's bfloat16 CPU kernels do (Eigen converts
 * each operand to float; MatMul, the convolutions and the reductions
 * accumulate in float32; AvgPool and Softmax give float32's result rounded
 * once), and what TVM's llvm backend would otherwise do only per element,
 * rounding every partial sum of a reduction to bfloat16.
 * Data movement (reshape, transpose, pad, gathers, ...) stays in bfloat16.
 */
const BF16_IN_F32: ReadonlySet<OpKind> = new Set<OpKind>([
  'unary',
  'binary',
  'clip',
  'leaky_relu',
  'bias_add',
  'reduce',
  'dense',
  'batch_matmul',
  'conv2d',
  'conv2d_transpose',
  'conv3d',
  'conv3d_transpose',
  'pool2d',
  'pool3d',
  'softmax',
]);

/** Relay expression of one op, given its operands' Relay names and types. */
function lowerOp(op: Op, args: readonly string[], result: TensorType, argTypes: readonly TensorType[]): string {
  const lowering = LOWERINGS[op.kind] as unknown as Lowering<OpKind>;
  if (result.dtype === 'bfloat16' && BF16_IN_F32.has(op.kind)) {
    const up = (t: TensorType): TensorType => (t.dtype === 'bfloat16' ? { ...t, dtype: 'float32' } : t);
    const upArgs = args.map((a, i) => (argTypes[i]?.dtype === 'bfloat16' ? `cast(${a}, dtype="float32")` : a));
    return `cast(${lowering(op, upArgs, up(result), argTypes.map(up))}, dtype="bfloat16")`;
  }
  return lowering(op, args, result, argTypes);
}

export function emitRelay(f: IrFunction): EmittedRelay {
  const names = new Map<ValueId, string>();
  const types = new Map<ValueId, TensorType>();
  const define = (id: ValueId, name: string, type: TensorType): void => {
    if (names.has(id)) throw errors.internal(`relay emitter: value %${id} of '${f.name}' defined twice`);
    names.set(id, name);
    types.set(id, type);
  };

  const inputs: { name: string; type: TensorType }[] = [];
  const weights: RelayWeight[] = [];
  for (const p of f.params) {
    if (p.kind === 'input') {
      if (!IDENT.test(p.name)) throw errors.internal(`relay emitter: input name '${p.name}' is not a Relay identifier`);
      inputs.push({ name: p.name, type: p.type });
    }
  }
  const taken = new Set(inputs.map((i) => i.name));
  for (const p of f.params) {
    if (p.kind === 'input') {
      define(p.id, `%${p.name}`, p.type);
    } else {
      let k = weights.length;
      while (taken.has(`w${k}`)) k++;
      const name = `w${k}`;
      taken.add(name);
      weights.push({ name, type: p.type, bytes: p.data.bytes, source: p.name });
      define(p.id, `%${name}`, p.type);
    }
  }
  if (taken.size !== inputs.length + weights.length) {
    throw errors.internal(`relay emitter: two inputs of '${f.name}' share a name`);
  }

  const signature = [...inputs.map((i) => `%${i.name}: ${relayType(i.type)}`), ...weights.map((w) => `%${w.name}: ${relayType(w.type)}`)];
  const lines = [RELAY_HEADER, `def @main(${signature.join(', ')}) {`];

  const use = (id: ValueId, user: string): { name: string; type: TensorType } => {
    const name = names.get(id);
    const type = types.get(id);
    if (name === undefined || type === undefined) {
      throw errors.internal(`relay emitter: ${user} of '${f.name}' uses %${id} before its definition`);
    }
    return { name, type };
  };

  f.body.forEach((instr, n) => {
    const operands = instr.op.args.map((a) => use(a, `%${instr.id} (${instr.origin})`));
    const expr = lowerOp(
      instr.op,
      operands.map((o) => o.name),
      instr.type,
      operands.map((o) => o.type),
    );
    lines.push(`  %${n} = ${expr};`);
    define(instr.id, `%${n}`, instr.type);
  });

  if (f.results.length === 0) throw errors.internal(`relay emitter: '${f.name}' has no results`);
  const results = f.results.map((r) => use(r, 'the result'));
  lines.push(`  ${results.length === 1 ? results[0]!.name : tuple(results.map((r) => r.name))}`, '}');

  return {
    text: lines.join('\n') + '\n',
    params: weights,
    inputs,
    outputs: results.map((r) => r.type),
  };
}
