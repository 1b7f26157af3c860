// Structural and type checks of an IR function. Run after every pass in tests
// (and under --verify-ir): a failure names the pass that broke the invariant.

import type { IrFunction } from './function.js';
import { inferOpType, TypeRuleError } from './infer.js';
import { formatType, sameType, type TensorType } from './types.js';

export function verifyFunction(f: IrFunction): string[] {
  const problems: string[] = [];
  const types = new Map<number, TensorType>();
  const names = new Set<string>();
  for (const p of f.params) {
    if (types.has(p.id)) problems.push(`value %${p.id} defined twice`);
    if (names.has(p.name)) problems.push(`parameter name ${p.name} used twice`);
    names.add(p.name);
    types.set(p.id, p.type);
    if (p.kind === 'weight') {
      const bytes = p.type.shape.reduce((a, b) => a * b, 1) * bytesPerElement(p.type.dtype);
      if (p.data.bytes.length !== bytes) problems.push(`weight ${p.name} has ${p.data.bytes.length} bytes, type needs ${bytes}`);
    }
  }
  for (const i of f.body) {
    if (types.has(i.id)) problems.push(`value %${i.id} defined twice`);
    const argTypes: TensorType[] = [];
    for (const a of i.op.args) {
      const t = types.get(a);
      if (!t) problems.push(`%${i.id} uses %${a} before its definition`);
      else argTypes.push(t);
    }
    if (argTypes.length === i.op.args.length) {
      try {
        const t = inferOpType(i.op, argTypes);
        if (!sameType(t, i.type)) problems.push(`%${i.id} is typed ${formatType(i.type)}, its op gives ${formatType(t)}`);
      } catch (e) {
        if (!(e instanceof TypeRuleError)) throw e;
        problems.push(`%${i.id} (${i.origin}): ${e.message}`);
      }
    }
    types.set(i.id, i.type);
  }
  if (f.results.length === 0) problems.push('function has no results');
  for (const r of f.results) if (!types.has(r)) problems.push(`result %${r} is not defined`);
  return problems;
}

export function bytesPerElement(d: TensorType['dtype']): number {
  switch (d) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
    case 'int16':
      return 2;
    default:
      return 1;
  }
}
