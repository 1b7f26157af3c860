// The edge checks of ir/tf/op-defs.ts against TensorFlow's own registry (the
// toolchain's dump): outputs beyond a producer's op, dtypes unlike what an
// argument takes, and what passes because nothing is certain; and the
// registry cache's name, which changes with the dump.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { opRegistry, opRegistryDumpKey, opRegistryPath, parseOpRegistry } from '../../../backends/tf/op-registry.js';
import { DataType, encodeTensor, makeAttr, makeConst, makeGraphDef, makeNode, type AttrValue, type NodeDef } from '../../../ir/tf/graphdef/io.js';
import { OP_REGISTRY_FORMAT, argsCount, checkOpDefs, type OpRegistry } from '../../../ir/tf/op-defs.js';
import { Tf2tvmError } from '../../../ir/support/diagnostics.js';

let registry: OpRegistry;
beforeAll(async () => {
  registry = await opRegistry();
}, 120_000);

const F = DataType.DT_FLOAT;
const I = DataType.DT_INT32;
const ph = (name: string, dtype: number = F): NodeDef =>
  makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(dtype), shape: makeAttr.shape([2, 3]) } });
const unary = (op: string, name: string, input: string, attr: Record<string, AttrValue> = { T: makeAttr.type(F) }): NodeDef =>
  makeNode({ name, op, input: [input], attr });

/** The code and message checkOpDefs throws for these nodes, or 'ok'. */
function judge(...node: NodeDef[]): string {
  try {
    checkOpDefs(makeGraphDef({ node }), registry);
    return 'ok';
  } catch (e) {
    if (e instanceof Tf2tvmError) return `${e.code} ${e.message}`;
    throw e;
  }
}

test('the dump has every op’s outputs, with their counts and dtypes', () => {
  expect(registry.format).toBe(OP_REGISTRY_FORMAT);
  expect(registry.ops['Conv2D']?.outputs).toEqual([{ name: 'output', typeAttr: 'T' }]);
  expect(registry.ops['Unpack']?.outputs).toEqual([{ name: 'output', number: 'num', typeAttr: 'T' }]);
  expect(registry.ops['IdentityN']?.outputs).toEqual([{ name: 'output', typeList: 'T' }]);
  expect(registry.ops['Shape']?.outputs).toEqual([{ name: 'output', typeAttr: 'out_type' }]);
  expect(registry.ops['Where']?.outputs).toEqual([{ name: 'index', dtype: DataType.DT_INT64 }]);
  expect(registry.ops['NoOp']?.outputs).toEqual([]);
  const bn = registry.ops['FusedBatchNormV3']!;
  expect(bn.outputs.map((o) => o.name)).toEqual(['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3']);
  const unpack = makeNode({ name: 'u', op: 'Unpack', input: ['x'], attr: { T: makeAttr.type(F), num: makeAttr.i(4), axis: makeAttr.i(0) } });
  expect(argsCount(unpack, registry.ops['Unpack']!.outputs)).toBe(4);
  expect(argsCount(makeNode({ name: 'u', op: 'Unpack', input: ['x'] }), registry.ops['Unpack']!.outputs)).toBeUndefined();
});

test('an input reading an output beyond its producer’s op is refused, naming both nodes (TF2TVM1041)', () => {
  expect(judge(ph('x'), unary('Relu', 'r', 'x'), unary('Tanh', 't', 'r:1'))).toBe(
    "TF2TVM1041 node 't' (Tanh): input 0 reads 'r:1', but 'r' (Relu) has 1 output",
  );
  expect(judge(ph('x'), makeNode({ name: 'n', op: 'NoOp' }), unary('Tanh', 't', 'n'))).toBe(
    "TF2TVM1041 node 't' (Tanh): input 0 reads 'n', but 'n' (NoOp) has 0 outputs",
  );
  const unpack = (num: number) =>
    makeNode({ name: 'u', op: 'Unpack', input: ['x'], attr: { T: makeAttr.type(F), num: makeAttr.i(num), axis: makeAttr.i(0) } });
  expect(judge(ph('x'), unpack(2), unary('Relu', 'r', 'u:1'))).toBe('ok');
  expect(judge(ph('x'), unpack(2), unary('Relu', 'r', 'u:2'))).toMatch(/^TF2TVM1041 .*'u' \(Unpack\) has 2 outputs$/);
  // A consumer of any op (a custom one here) reading past a registered producer is refused too.
  expect(judge(ph('x'), unary('Relu', 'r', 'x'), makeNode({ name: 'c', op: 'MyCustomOp', input: ['r:3'] }))).toMatch(
    /^TF2TVM1041 node 'c' \(MyCustomOp\)/,
  );
  // The control edge ^r is no output.
  expect(judge(ph('x'), unary('Relu', 'r', 'x'), makeNode({ name: 't', op: 'Tanh', input: ['x', '^r'], attr: { T: makeAttr.type(F) } }))).toBe('ok');
});

test('outputs of ops TensorFlow does not register are not judged', () => {
  expect(judge(ph('x'), makeNode({ name: 'c', op: 'MyCustomOp', input: ['x'] }), unary('Relu', 'r', 'c:7'))).toBe('ok');
  // A producer named like an Object property is no op of the registry.
  expect(judge(ph('x'), makeNode({ name: 'c', op: 'constructor', input: ['x'] }), unary('Relu', 'r', 'c:7'))).toBe('ok');
});

test('an input of another dtype than its argument takes is refused, naming the input and the attribute (TF2TVM1042)', () => {
  expect(judge(ph('x', I), unary('Relu', 'r', 'x'))).toBe(
    "TF2TVM1042 node 'r' (Relu): input 0 reads 'x', a DT_INT32 tensor, but argument 'features' takes DT_FLOAT (attribute 'T')",
  );
  // A fixed dtype: Reshape's shape is Tshape, Where's output is int64, and Cast's output is its DstT.
  const cast = makeNode({ name: 'c', op: 'Cast', input: ['x'], attr: { SrcT: makeAttr.type(F), DstT: makeAttr.type(I) } });
  expect(judge(ph('x'), cast, unary('Relu', 'r', 'c'))).toMatch(/^TF2TVM1042 node 'r' \(Relu\): input 0 reads 'c', a DT_INT32 tensor/);
  const where = makeNode({ name: 'w', op: 'Where', input: ['x'], attr: { T: makeAttr.type(F) } });
  expect(judge(ph('x'), where, unary('Relu', 'r', 'w'))).toMatch(/a DT_INT64 tensor, but argument 'features' takes DT_FLOAT/);
  const notFloat = makeNode({ name: 'n', op: 'LogicalNot', input: ['x'] });
  expect(judge(ph('x'), notFloat)).toBe(
    "TF2TVM1042 node 'n' (LogicalNot): input 0 reads 'x', a DT_FLOAT tensor, but argument 'x' takes DT_BOOL (fixed by LogicalNot)",
  );
  // A list of types: IdentityN's second output is its T[1].
  const idn = makeNode({ name: 'i', op: 'IdentityN', input: ['x', 'y'], attr: { T: makeAttr.listType([F, I]) } });
  expect(judge(ph('x'), ph('y', I), idn, unary('Relu', 'r', 'i:0'))).toBe('ok');
  expect(judge(ph('x'), ph('y', I), idn, unary('Relu', 'r', 'i:1'))).toMatch(/^TF2TVM1042 node 'r' \(Relu\): input 0 reads 'i:1', a DT_INT32/);
  expect(judge(ph('x'), ph('y', F), idn)).toMatch(
    /^TF2TVM1042 node 'i' \(IdentityN\): input 1 reads 'y', a DT_FLOAT tensor, but argument 'input' takes DT_INT32/,
  );
});

test('dtypes that are not certain are not judged; a ref dtype is its base dtype', () => {
  // Shape without out_type: the default (int32) is not assumed.
  const shape = makeNode({ name: 's', op: 'Shape', input: ['x'], attr: { T: makeAttr.type(F) } });
  expect(judge(ph('x'), shape, unary('Relu', 'r', 's'))).toBe('ok');
  // A custom op's output, and a custom op's inputs.
  expect(judge(ph('x', I), makeNode({ name: 'c', op: 'MyCustomOp', input: ['x'] }), unary('Relu', 'r', 'c'))).toBe('ok');
  // A variable's float_ref output read where float is taken (TensorFlow dereferences it).
  const v = makeNode({ name: 'v', op: 'VariableV2', attr: { dtype: makeAttr.type(F), shape: makeAttr.shape([2, 3]) } });
  expect(judge(v, unary('Relu', 'r', 'v'))).toBe('ok');
  expect(
    judge(
      v,
      makeConst('k', encodeTensor(F, [2, 3], new Float32Array(6))),
      makeNode({ name: 'add', op: 'AddV2', input: ['v', 'k'], attr: { T: makeAttr.type(F) } }),
    ),
  ).toBe('ok');
});

test('the registry cache is named by the toolchain and by the dump, so a changed dump never reads an older file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-opreg-'));
  const a = path.join(dir, 'a.py');
  const b = path.join(dir, 'b.py');
  writeFileSync(a, 'FORMAT = 2\n');
  writeFileSync(b, 'FORMAT = 2\n# another field\n');
  expect(opRegistryDumpKey(a)).toMatch(/^[0-9a-f]{12}$/);
  expect(opRegistryDumpKey(a)).not.toBe(opRegistryDumpKey(b));
  expect(path.basename(opRegistryPath('0123456789abcdef'))).toBe(`op-registry-0123456789abcdef-${opRegistryDumpKey()}.json`);
  // A document of another format (the first one had no outputs) is not used.
  expect(parseOpRegistry(JSON.stringify({ format: 1, tensorflow: '2.18.1', ops: {} }))).toBeUndefined();
  expect(parseOpRegistry(JSON.stringify({ format: OP_REGISTRY_FORMAT, tensorflow: '2.18.1', ops: {} }))).toBeDefined();
  expect(parseOpRegistry('{"format": 2, "tensorf')).toBeUndefined();
});
