// The one text form of the IR: used by --print-ir-after and the golden
// files of pass tests, so it must be deterministic (attribute keys are
// printed in sorted order, numbers in a fixed spelling).

import type { IrFunction } from './function.js';
import type { Op } from './ops.js';
import { formatType } from './types.js';

function formatAttr(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(',')}]`;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(9).replace(/\.?0+$/, '');
  return String(v);
}

function formatOp(op: Op): string {
  const attrs = Object.entries(op)
    .filter(([k]) => k !== 'kind' && k !== 'args' && k !== 'fn')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${formatAttr(v)}`);
  const name = 'fn' in op ? `${op.kind}.${op.fn}` : op.kind;
  const args = op.args.map((a) => `%${a}`).join(', ');
  return `${name}(${args})${attrs.length ? ` {${attrs.join(', ')}}` : ''}`;
}

export function printFunction(f: IrFunction): string {
  const params = f.params.map((p) => `%${p.id} ${p.name}: ${formatType(p.type)}${p.kind === 'weight' ? ' weight' : ''}`).join(',\n    ');
  const resultTypes = f.results.map((r) => {
    const t = f.params.find((p) => p.id === r)?.type ?? f.body.find((i) => i.id === r)?.type;
    return t ? formatType(t) : '?';
  });
  const lines = [`func @${f.name}(\n    ${params}\n) -> (${resultTypes.join(', ')}) {`];
  for (const i of f.body) lines.push(`  %${i.id} = ${formatOp(i.op)} : ${formatType(i.type)}  // ${i.origin}`);
  lines.push(`  return ${f.results.map((r) => `%${r}`).join(', ')}`, '}');
  return lines.join('\n') + '\n';
}
