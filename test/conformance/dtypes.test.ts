// "Every dtype of the kernel table", checked: for each op of the convolution,
// matmul, elementwise and reduction tables (and every compute op), each dtype
// TensorFlow registers a CPU kernel for (ir/tf/kernels.json, the op's data:
// its first type attribute) is either lowered with at least one conformance
// case whose op under test has that dtype (read from the generated graphs, not
// from case names), or left to TensorFlow by a documented refusal (the op's
// `dtypeRefusals`, in docs/ops.md). That each case passes is ops.test.ts's job.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { decodeGraphDef } from '../../ir/tf/graphdef/io.js';
import { dtypeFromTf } from '../../ir/tf/dtypes.js';
import { cpuKernelDtypes } from '../../ir/tf/kernels.js';
import { OPS } from '../../ir/tf/ops/index.js';
import { DTYPES } from '../../ir/types.js';
import { casesDir, ensureCases } from './cases.js';

const CATEGORIES = new Set(['convolution', 'matmul', 'elementwise', 'reduction']);
const IN_SCOPE = [...OPS].filter(([, def]) => def.compute || CATEGORIES.has(def.category));

/** Ops whose data has no type attribute (their first one is the axis index): the data's one dtype. */
const UNTYPED_DATA: Readonly<Record<string, string>> = { All: 'bool', Any: 'bool' };

/** The kernel table's data dtypes of an op. */
function kernelDtypes(op: string): readonly string[] {
  if (UNTYPED_DATA[op]) return [UNTYPED_DATA[op]];
  const t = cpuKernelDtypes(op);
  return t ? (Object.values(t)[0] ?? []) : [];
}

/** The data type attribute's name: the kernel table's first one. */
function dataAttr(op: string): string | undefined {
  const t = cpuKernelDtypes(op);
  return t ? Object.keys(t)[0] : undefined;
}

await ensureCases();

/** op type -> data dtype -> the cases testing it. */
const covered = new Map<string, Map<string, string[]>>();
for (const name of readdirSync(casesDir).sort()) {
  const metaFile = path.join(casesDir, name, 'meta.json');
  if (!existsSync(metaFile)) continue;
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { ops: string[] };
  const g = decodeGraphDef(readFileSync(path.join(casesDir, name, 'model.pb')), name);
  for (const under of meta.ops) {
    const node = g.node.find((n) => n.name === under);
    if (!node) throw new Error(`${name}: node under test ${under} is not in its graph`);
    const attr = UNTYPED_DATA[node.op] ? undefined : dataAttr(node.op);
    const enumValue = attr ? node.attr[attr]?.type : undefined;
    const dtype =
      UNTYPED_DATA[node.op] ?? (enumValue !== undefined && enumValue !== null ? (dtypeFromTf(enumValue) ?? `enum ${enumValue}`) : undefined);
    if (!dtype) continue;
    const byDtype = covered.get(node.op) ?? new Map<string, string[]>();
    byDtype.set(dtype, [...(byDtype.get(dtype) ?? []), name]);
    covered.set(node.op, byDtype);
  }
}

test('the scope is the four tables and the compute ops', () => {
  const names = IN_SCOPE.map(([n]) => n);
  for (const op of ['Conv2D', 'MatMul', 'BatchMatMulV2', 'Einsum', 'AddV2', 'Cast', 'BiasAdd', 'Mean', 'Sum', 'Cumsum']) expect(names).toContain(op);
  expect(names.length).toBeGreaterThanOrEqual(40);
});

describe.each(IN_SCOPE.map(([name, def]) => [name, def] as const))('%s', (op, def) => {
  const lowered = def.dtypes ?? DTYPES;
  const refused = new Map((def.dtypeRefusals ?? []).flatMap((r) => r.dtypes.map((d) => [d, r.why] as const)));

  test('every kernel-table dtype has a conformance case or a documented refusal', () => {
    const missing = kernelDtypes(op).filter((d) => !refused.has(d) && !covered.get(op)?.has(d));
    const unlowered = missing.filter((d) => !(lowered as readonly string[]).includes(d));
    expect({ op, withoutCase: missing.filter((d) => !unlowered.includes(d)), neitherLoweredNorRefused: unlowered }).toEqual({
      op,
      withoutCase: [],
      neitherLoweredNorRefused: [],
    });
  });

  test('a refused dtype is not lowered, and has a reason', () => {
    for (const [d, why] of refused) {
      expect([d, (lowered as readonly string[]).includes(d)]).toEqual([d, false]);
      expect(why.length).toBeGreaterThan(20);
    }
  });
});
