// No op compiles a dtype TensorFlow has no CPU kernel for: the dtypes an op
// table entry lists (absent: every IR dtype) are all in ir/tf/kernels.json for
// the op's data type attribute. (A graph with such a dtype does not run in
// TensorFlow on the CPU; the fallback of its bridge op could not run it either.)

import { cpuKernelDtypes } from '../../../ir/tf/kernels.js';
import { OPS } from '../../../ir/tf/ops/index.js';
import { DTYPES } from '../../../ir/types.js';

/** The type attribute the `dtypes` of an entry describe, where it is not T (or the table's only one). */
const DATA_ATTR: Readonly<Record<string, string>> = { DenseBincount: 'Tidx', BatchMatMulV3: 'Ta', Cast: 'SrcT' };
/** Ops whose data has no type attribute: the one dtype they take. */
const UNTYPED: Readonly<Record<string, string>> = { All: 'bool', Any: 'bool', LogicalAnd: 'bool', LogicalOr: 'bool', LogicalNot: 'bool' };

const rows = [...OPS].filter(([op, def]) => def.lower && op !== 'NoOp').map(([op, def]) => [op, def] as const);

test.each(rows)('%s', (op, def) => {
  const lowered: readonly string[] = def.dtypes ?? DTYPES;
  const table = cpuKernelDtypes(op);
  const attr = DATA_ATTR[op] ?? (table && 'T' in table ? 'T' : table ? Object.keys(table)[0] : undefined);
  const kernel: readonly string[] = UNTYPED[op] ? [UNTYPED[op]] : attr && table ? (table[attr] ?? []) : [];
  expect({ op, withoutKernel: lowered.filter((d) => !kernel.includes(d)) }).toEqual({ op, withoutKernel: [] });
});
