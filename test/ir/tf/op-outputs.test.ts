// The output arg names the fallback function's body uses (ir/tf/op-outputs.ts)
// against TensorFlow's own op registry; every op the clusters may hold is in it.

import { execa } from 'execa';
import { findToolchain } from '../../../backends/python/toolchain.js';
import { OPS } from '../../../ir/tf/ops/index.js';
import { OP_OUTPUTS, functionOutputRef } from '../../../ir/tf/op-outputs.js';

test('every op tf2tvm compiles has its output args named', () => {
  for (const op of OPS.keys()) expect([op, OP_OUTPUTS.has(op)]).toEqual([op, true]);
});

test('the names are TensorFlow’s', async () => {
  const tc = await findToolchain();
  const script = `
import json, sys
from tensorflow.python.framework import op_def_registry
out = {}
for op in json.loads(sys.argv[1]):
    d = op_def_registry.get(op)
    out[op] = [[a.name, bool(a.number_attr or a.type_list_attr)] for a in d.output_arg]
print(json.dumps(out))`;
  const ops = [...OP_OUTPUTS.keys()];
  const r = await execa(tc.python, ['-c', script, JSON.stringify(ops)], { env: { ...tc.env(), TF_CPP_MIN_LOG_LEVEL: '3' } });
  const tf = JSON.parse(String(r.stdout).trim().split('\n').pop()!) as Record<string, [string, boolean][]>;
  for (const op of ops) {
    expect([op, OP_OUTPUTS.get(op)!.map((a) => [a.name, Boolean(a.list)])]).toEqual([op, tf[op]]);
  }
});

test('functionOutputRef', () => {
  expect(functionOutputRef('Relu', 'a/relu', 0)).toBe('a/relu:activations:0');
  expect(functionOutputRef('FusedBatchNormV3', 'bn', 2)).toBe('bn:batch_variance:0');
  expect(functionOutputRef('IdentityN', 'idn', 3)).toBe('idn:output:3');
  expect(functionOutputRef('Relu', 'r', 1)).toBeUndefined();
  expect(functionOutputRef('NoSuchOp', 'n', 0)).toBeUndefined();
});
