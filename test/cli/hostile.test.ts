// A corpus of crafted GraphDefs, one per kind of hostile or broken input that
// TensorFlow's security advisories list (and a few more): each gets exit 0 or
// a bad-input code naming the node and the attribute, never an internal or a
// toolchain error, and a refused one writes nothing.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DataType,
  bigIntToInt64,
  encodeGraphDef,
  encodeTensor,
  makeAttr,
  makeConst,
  makeFunctionDef,
  makeFunctionLibrary,
  makeGraphDef,
  makeNode,
  type AttrValue,
  type FunctionDef,
  type GraphDef,
  type NodeDef,
  type TensorProto,
} from '../../ir/tf/graphdef/io.js';
import { root, TensorProtoType } from '../../ir/tf/graphdef/schema.js';
import { tempDir, tf2tvmJson } from '../helpers.js';

const dir = tempDir();
const F = DataType.DT_FLOAT;
const T = { T: makeAttr.type(F) };

const ph = (name: string, shape: (number | bigint)[] = [1, 4], dtype: number = F): NodeDef =>
  makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(dtype), shape: makeAttr.shape(shape) } });
const relu = (name: string, input: string, attr: Record<string, AttrValue> = T): NodeDef => makeNode({ name, op: 'Relu', input: [input], attr });
const graph = (...node: NodeDef[]): GraphDef => makeGraphDef({ node });
const AttrDefType = root.lookupType('tensorflow.OpDef.AttrDef');
const tensor = (props: Record<string, unknown>): TensorProto => TensorProtoType.create(props) as unknown as TensorProto;
const shapeOf = (dims: (number | bigint)[]) => makeAttr.shape(dims).shape;

/** A function `name` of one float argument whose body calls `callee` (as its op) on it. */
function caller(name: string, callee: string): FunctionDef {
  return makeFunctionDef({
    name,
    inputs: [{ name: 'x', type: F }],
    outputs: [{ name: 'y', type: F }],
    nodes: [makeNode({ name: 'call', op: callee, input: ['x'] })],
    ret: { y: 'call:y:0' },
  });
}

function withLibrary(g: GraphDef, fns: FunctionDef[]): GraphDef {
  return makeGraphDef({ node: g.node, library: makeFunctionLibrary(fns) });
}

type Case = [name: string, graph: () => GraphDef, code: string, message: string | RegExp];

const refused: Case[] = [
  [
    'an attribute of the wrong type',
    () => graph(ph('x'), relu('r', 'x', { T: makeAttr.i(1) })),
    'TF2TVM1018',
    "node 'r' (Relu): attribute 'T' must be a type, but is an int (i)",
  ],
  [
    'a list attribute holding the wrong kind',
    () =>
      graph(
        ph('x', [1, 8, 8, 2]),
        ph('f', [3, 3, 2, 4]),
        makeNode({
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'f'],
          attr: { ...T, strides: makeAttr.listF([1, 1, 1, 1]), padding: makeAttr.s('SAME') },
        }),
      ),
    'TF2TVM1018',
    "node 'conv' (Conv2D): attribute 'strides' must be a list of ints (list.i), but is a list of floats (list.f)",
  ],
  ['a missing required attribute', () => graph(ph('x'), relu('r', 'x', {})), 'TF2TVM1017', "node 'r' (Relu) has no attribute 'T'"],
  [
    'an attribute value the op does not allow',
    () => graph(ph('x', [1, 4], DataType.DT_STRING), relu('r', 'x', { T: makeAttr.type(DataType.DT_STRING) })),
    'TF2TVM1030',
    /^node 'r' \(Relu\): attribute 'T' is DT_STRING, which Relu does not allow \(allowed: DT_FLOAT, /,
  ],
  [
    'a padding name the op does not know',
    () =>
      graph(
        ph('x', [1, 8, 8, 2]),
        ph('f', [3, 3, 2, 4]),
        makeNode({
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'f'],
          attr: { ...T, strides: makeAttr.listI([1, 1, 1, 1]), padding: makeAttr.s('MIRROR') },
        }),
      ),
    'TF2TVM1030',
    `node 'conv' (Conv2D): attribute 'padding' is "MIRROR", which Conv2D does not allow (allowed: "SAME", "VALID", "EXPLICIT")`,
  ],
  [
    'a count below the minimum',
    () =>
      graph(
        ph('x'),
        makeConst('axis', encodeTensor(DataType.DT_INT32, [], Int32Array.of(0))),
        makeNode({ name: 'cat', op: 'ConcatV2', input: ['x', 'axis'], attr: { ...T, N: makeAttr.i(1), Tidx: makeAttr.type(DataType.DT_INT32) } }),
      ),
    'TF2TVM1031',
    "node 'cat' (ConcatV2): attribute 'N' is 1, below the minimum 2 of ConcatV2's definition",
  ],
  [
    'an attribute the op does not define',
    () => graph(ph('x'), relu('r', 'x', { ...T, alpha: makeAttr.f(0.2) })),
    'TF2TVM1033',
    "node 'r' (Relu) has attribute 'alpha', which Relu's definition does not have",
  ],
  [
    'more inputs than the op takes',
    () => graph(ph('x'), ph('y'), makeNode({ name: 'r', op: 'Relu', input: ['x', 'y'], attr: T })),
    'TF2TVM1034',
    "node 'r' (Relu) has 2 data inputs; Relu takes 1 here",
  ],
  [
    'an unknown dtype enum',
    () => graph(ph('x', [1, 4], 77)),
    'TF2TVM1032',
    "node 'x': attribute 'dtype' holds dtype 77, which is no TensorFlow DataType",
  ],
  [
    'an unknown dtype enum in a tensor',
    () =>
      graph(
        makeNode({
          name: 'c',
          op: 'Const',
          attr: { dtype: makeAttr.type(F), value: makeAttr.tensor(tensor({ dtype: 300, tensor_shape: shapeOf([1]) })) },
        }),
      ),
    'TF2TVM1032',
    "node 'c': attribute 'value' holds dtype 300, which is no TensorFlow DataType",
  ],
  [
    'a tensor_content shorter than its shape',
    () => graph(makeConst('c', tensor({ dtype: F, tensor_shape: shapeOf([4, 4]), tensor_content: Buffer.alloc(12) }))),
    'TF2TVM1035',
    "node 'c': tensor attribute 'value' holds a DT_FLOAT tensor of shape [4, 4] whose tensor_content has 12 bytes, not 64",
  ],
  [
    'more values than elements',
    () => graph(makeConst('c', tensor({ dtype: F, tensor_shape: shapeOf([2]), float_val: [1, 2, 3] }))),
    'TF2TVM1035',
    "node 'c': tensor attribute 'value' holds a DT_FLOAT tensor of shape [2] with 3 values",
  ],
  [
    'a constant whose dtype contradicts the node',
    () =>
      graph(
        makeNode({
          name: 'c',
          op: 'Const',
          attr: { dtype: makeAttr.type(DataType.DT_INT32), value: makeAttr.tensor(encodeTensor(F, [1], Float32Array.of(1))) },
        }),
      ),
    'TF2TVM1035',
    "node 'c': tensor attribute 'value' holds a DT_FLOAT tensor, but the node's dtype is DT_INT32",
  ],
  [
    'a string tensor whose content is cut short',
    () => graph(makeConst('c', tensor({ dtype: DataType.DT_STRING, tensor_shape: shapeOf([2]), tensor_content: Buffer.from([5, 5, 65]) }))),
    'TF2TVM1035',
    /^node 'c': tensor attribute 'value' holds a DT_STRING tensor of shape \[2\] whose tensor_content is not 2 strings/,
  ],
  [
    'a constant too large to allocate',
    () => graph(makeConst('c', tensor({ dtype: F, tensor_shape: shapeOf([1 << 20, 1 << 20]), float_val: [1] }))),
    'TF2TVM1036',
    `node 'c': tensor attribute 'value' would take ${4 * 2 ** 40} bytes, beyond the 2 GiB a constant may have`,
  ],
  [
    'a dimension product that overflows',
    () => graph(ph('x', [-1, 2n ** 40n, 2n ** 40n])),
    'TF2TVM1037',
    `node 'x': shape in attribute 'shape' [-1, ${2 ** 40}, ${2 ** 40}] has more than 2^53 elements`,
  ],
  [
    'a tensor dimension product that overflows int64',
    () => graph(makeConst('c', tensor({ dtype: F, tensor_shape: shapeOf([2n ** 62n, 8]) }))),
    'TF2TVM1037',
    `node 'c': shape in attribute 'value' [${2n ** 62n}, 8] has more than 2^53 elements`,
  ],
  [
    'a dimension below -1',
    () => {
      const x = ph('x');
      (x.attr['shape']?.shape?.dim[1] as { size: unknown }).size = bigIntToInt64(-7);
      return graph(x);
    },
    'TF2TVM1037',
    "node 'x': shape in attribute 'shape' has the dimension -7; a dimension is -1 (unknown) or at least 0",
  ],
  [
    'a self-recursive function',
    () => withLibrary(graph(ph('x'), makeNode({ name: 'call', op: 'f', input: ['x'] })), [caller('f', 'f')]),
    'TF2TVM1038',
    "the graph's function library is recursive: f -> f",
  ],
  [
    'mutually recursive functions called through PartitionedCall',
    () =>
      withLibrary(
        graph(
          ph('x'),
          makeNode({
            name: 'call',
            op: 'PartitionedCall',
            input: ['x'],
            attr: { Tin: makeAttr.listType([F]), Tout: makeAttr.listType([F]), f: makeAttr.func('f') },
          }),
        ),
        [caller('f', 'g'), caller('g', 'f')],
      ),
    'TF2TVM1038',
    "the graph's function library is recursive: f -> g -> f",
  ],
  [
    'a function attribute defined twice',
    () => {
      const f = caller('f', 'Relu');
      const sig = f.signature as NonNullable<FunctionDef['signature']>;
      sig.attr = [AttrDefType.create({ name: 'T', type: 'type' }), AttrDefType.create({ name: 'T', type: 'int' })] as unknown as typeof sig.attr;
      return withLibrary(graph(ph('x'), makeNode({ name: 'call', op: 'f', input: ['x'] })), [f]);
    },
    'TF2TVM1039',
    "function 'f' defines the attribute 'T' twice",
  ],
  [
    'an input reading an output its producer does not have',
    () => graph(ph('x'), relu('r', 'x'), relu('t', 'r:3')),
    'TF2TVM1041',
    "node 't' (Relu): input 0 reads 'r:3', but 'r' (Relu) has 1 output",
  ],
  [
    'an input of another dtype than the op takes',
    () => graph(ph('x', [1, 4], DataType.DT_INT32), relu('r', 'x')),
    'TF2TVM1042',
    "node 'r' (Relu): input 0 reads 'x', a DT_INT32 tensor, but argument 'features' takes DT_FLOAT (attribute 'T')",
  ],
  [
    'a function defined twice',
    () => withLibrary(graph(ph('x'), makeNode({ name: 'call', op: 'f', input: ['x'] })), [caller('f', 'Relu'), caller('f', 'Relu')]),
    'TF2TVM1039',
    "the function library defines the function 'f' twice",
  ],
];

/** A MatMul whose only reader is a control edge: its cluster would compute nothing anyone reads. */
const controlOnly = (): GraphDef =>
  graph(
    ph('x'),
    makeConst('w', encodeTensor(F, [4, 4], new Float32Array(16).fill(0.5))),
    makeNode({ name: 'mm', op: 'MatMul', input: ['x', 'w'], attr: T }),
    makeNode({ name: 'r', op: 'Relu', input: ['x', '^mm'], attr: T }),
  );

const accepted: [string, () => GraphDef][] = [
  ['an Exit without its Enter', () => graph(ph('x'), makeNode({ name: 'e', op: 'Exit', input: ['x'], attr: T }), relu('r', 'e'))],
  ['a NextIteration without its loop', () => graph(ph('x'), makeNode({ name: 'n', op: 'NextIteration', input: ['x'], attr: T }), relu('r', 'n'))],
  [
    'a custom op TensorFlow does not register',
    () => graph(ph('x'), makeNode({ name: 'c', op: 'MyCustomOp', input: ['x'], attr: { anything: makeAttr.i(3) } }), relu('r', 'c')),
  ],
  ['an output index of a custom op', () => graph(ph('x'), makeNode({ name: 'c', op: 'MyCustomOp', input: ['x'] }), relu('r', 'c:2'))],
  ['a compute node read by control edges alone', () => controlOnly()],
  ['an uncalled recursive function', () => withLibrary(graph(ph('x'), relu('r', 'x')), [caller('f', 'f')])],
  [
    'node names that look like paths out of OUT',
    () => graph(ph('../../x'), relu('../../../etc/passwd', '../../x'), relu('..', '../../../etc/passwd'), relu('a/../../b', '..')),
  ],
];

interface Doc {
  ok: boolean;
  error?: { code: string; message: string };
}

function write(name: string, g: GraphDef): string {
  const p = path.join(dir, `${name.replace(/\W+/g, '_')}.pb`);
  writeFileSync(p, encodeGraphDef(g));
  return p;
}

/** x [2, 3] (dtype) -> ReverseV2 (no tf2tvm rule: TensorFlow's inference is asked) -> Relu, beside `more`. */
function reversed(dtype: number, more: NodeDef[] = []): GraphDef {
  return graph(
    ph('x', [2, 3], dtype),
    makeConst('shift', encodeTensor(DataType.DT_INT32, [1], Int32Array.of(1))),
    makeConst('axis', encodeTensor(DataType.DT_INT32, [1], Int32Array.of(1))),
    // Roll: an op tf2tvm has no rule for, so TensorFlow's shape inference is asked about it.
    makeNode({
      name: 'rev',
      op: 'Roll',
      input: ['x', 'shift', 'axis'],
      attr: { ...T, Tshift: makeAttr.type(DataType.DT_INT32), Taxis: makeAttr.type(DataType.DT_INT32) },
    }),
    relu('r', 'rev'),
    ...more,
  );
}

refused.push([
  'inputs whose dtypes TensorFlow refuses, found by its shape inference',
  // Roll's shift is a Shape without out_type: int32 by TensorFlow's default,
  // which tf2tvm's own check does not assume, against Tshift int64.
  () =>
    graph(
      ph('x', [2, 3]),
      makeNode({ name: 's', op: 'Shape', input: ['x'], attr: T }),
      makeConst('axis', encodeTensor(DataType.DT_INT32, [2], Int32Array.of(0, 1))),
      makeNode({
        name: 'rev',
        op: 'Roll',
        input: ['x', 's', 'axis'],
        attr: { ...T, Tshift: makeAttr.type(DataType.DT_INT64), Taxis: makeAttr.type(DataType.DT_INT32) },
      }),
      relu('r', 'rev'),
    ),
  'TF2TVM1040',
  /^TensorFlow cannot import the graph: .*\brev\b.*int32.*int64/,
]);

test("TensorFlow's shape inference sees only what the compilable nodes depend on: no uncalled recursive function, no custom op", async () => {
  const g = withLibrary(reversed(F, [makeNode({ name: 'c', op: 'MyCustomOp', input: ['x'] }), relu('r2', 'c')]), [caller('f', 'f')]);
  const { r, doc } = await tf2tvmJson<{ ok: boolean; unclustered: { node: string; reason: string }[] }>([
    'inspect',
    write('hinted', g),
    '--policy',
    'all',
    '--json',
  ]);
  expect(r.exitCode).toBe(0);
  const reasons = Object.fromEntries(doc.unclustered.map((u) => [u.node, u.reason]));
  // r's shape came from TensorFlow (Roll has no tf2tvm rule); r2 reads a custom op TensorFlow cannot infer.
  expect(reasons['r']).toBeUndefined();
  expect(reasons['r2']).toBe('unknown-shape');
});

test('a cluster whose members are read by control edges alone is not formed (no-cluster-output)', async () => {
  const { r, doc } = await tf2tvmJson<{ clusters: unknown[]; unclustered: { node: string; reason: string }[] }>([
    'inspect',
    write('control-only', controlOnly()),
    '--json',
  ]);
  expect(r.exitCode).toBe(0);
  expect(doc.clusters).toEqual([]);
  expect(doc.unclustered).toContainEqual(expect.objectContaining({ node: 'mm', reason: 'no-cluster-output' }));
});

describe('crafted graphs get a bad-input code naming what is wrong, and no OUT', () => {
  test.each(refused)('%s', async (name, make, code, message) => {
    const out = path.join(dir, `out-${code}`);
    const { r, doc } = await tf2tvmJson<Doc>(['compile', write(name, make()), '-o', out]);
    expect({ exitCode: r.exitCode, code: doc.error?.code }).toEqual({ exitCode: 1, code });
    expect(doc.error?.message).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
    expect(existsSync(out)).toBe(false);
  });
});

describe('crafted graphs TensorFlow runs compile, writing only inside OUT', () => {
  test.each(accepted)('%s', async (_name, make) => {
    const sub = tempDir();
    const model = path.join(sub, 'model.pb');
    writeFileSync(model, encodeGraphDef(make()));
    const out = path.join(sub, 'out');
    const { r, doc } = await tf2tvmJson<Doc>(['compile', model, '-o', out]);
    expect({ exitCode: r.exitCode, doc: doc.ok }).toEqual({ exitCode: 0, doc: true });
    expect(readdirSync(sub).sort()).toEqual(['model.pb', 'out']);
  });
});
