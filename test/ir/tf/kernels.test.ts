// The kernel table (ir/tf/kernels.json): it covers every op tf2tvm targets or
// lowers, and it is what the toolchain's TensorFlow reports today
// (scripts/kernel_table.py rerun into a temporary file and compared).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findToolchain } from '../../../backends/python/toolchain.js';
import { projectPath } from '../../../ir/support/project.js';
import { TARGET_OPS } from '../../../ir/tf/coverage.js';
import { cpuDataDtypes, cpuKernelDtypes, KERNEL_TABLE_DTYPES } from '../../../ir/tf/kernels.js';
import { OPS } from '../../../ir/tf/ops/index.js';
import { tempDir } from '../../helpers.js';

test('every target op and every op of the tables has an entry of known dtypes', () => {
  for (const op of new Set([...TARGET_OPS, ...OPS.keys()])) {
    const t = cpuKernelDtypes(op);
    expect([op, t === undefined]).toEqual([op, false]);
    for (const ds of Object.values(t ?? {})) for (const d of ds) expect(KERNEL_TABLE_DTYPES).toContain(d);
  }
  expect(cpuKernelDtypes('NoSuchOp')).toBeUndefined();
});

test('facts of TensorFlow CPU kernels the table must show', () => {
  expect(cpuDataDtypes('Conv2D')).not.toContain('int8');
  expect(cpuDataDtypes('Conv2D')).toEqual(expect.arrayContaining(['float32', 'float16', 'bfloat16', 'float64', 'int32']));
  expect(cpuKernelDtypes('GatherV2')).toMatchObject({ Tindices: expect.arrayContaining(['int32', 'int64']) });
  expect(cpuDataDtypes('LogicalAnd')).toEqual([]); // bool by the op's definition: no type attribute
  expect(cpuDataDtypes('Cast')).toContain('bfloat16');
});

test('the committed table is what scripts/kernel_table.py writes with the toolchain TensorFlow', async () => {
  const tc = await findToolchain();
  const out = path.join(tempDir('tf2tvm-kernels-'), 'kernels.json');
  const committed = JSON.parse(readFileSync(projectPath('ir', 'tf', 'kernels.json'), 'utf8')) as { ops: Record<string, unknown> };
  const r = await execa(tc.python, [projectPath('scripts', 'kernel_table.py'), '--out', out], {
    env: tc.env(),
    input: Object.keys(committed.ops).join('\n'),
    reject: false,
  });
  expect([r.exitCode, String(r.stderr).slice(-2000)]).toEqual([0, '']);
  expect(readFileSync(out, 'utf8')).toBe(readFileSync(projectPath('ir', 'tf', 'kernels.json'), 'utf8'));
}, 120_000);
