// Structure-aware mutations of GraphDefs for the fuzzer: fast-check generates
// a list of mutations (indices are taken modulo what they index, so any list
// applies to any graph), `applyMutations` performs them on a decoded graph
// (ops, attributes of every kind, inputs, nodes, names, tensors, shapes, the
// function library, deep chains) and then on the encoded bytes (flips,
// truncations, splices), so the reader is fuzzed too.

import fc from 'fast-check';
import {
  DataType,
  bigIntToInt64,
  decodeGraphDef,
  encodeGraphDef,
  makeAttr,
  makeFunctionDef,
  makeFunctionLibrary,
  makeGraphDef,
  makeNode,
  type AttrValue,
  type GraphDef,
  type NodeDef,
  type TensorProto,
  type TensorShapeProto,
} from '../../ir/tf/graphdef/io.js';
import { AttrValueType, DimType, TensorProtoType, TensorShapeProtoType } from '../../ir/tf/graphdef/schema.js';
import { OPS } from '../../ir/tf/ops/index.js';

const EXTRA_OPS = [
  'Enter',
  'Exit',
  'Merge',
  'Switch',
  'NextIteration',
  'LoopCond',
  'PartitionedCall',
  'Identity',
  'IdentityN',
  'NoOp',
  'MyCustomOp',
  'f0',
];
export const FUZZ_OPS: readonly string[] = [...[...OPS.keys()].sort(), ...EXTRA_OPS];
const ATTR_NAMES = [
  'T',
  'dtype',
  'shape',
  'value',
  'N',
  'padding',
  'strides',
  'data_format',
  'axis',
  'keep_dims',
  'Tidx',
  'dilations',
  '_output_shapes',
  'f',
  'Tin',
  'Tout',
];
const PADDINGS = ['SAME', 'VALID', 'EXPLICIT', 'NHWC', 'NCHW', '', 'BOGUS'];

/** Integers worth trying, and any other. */
const int = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, -1, 2, 3, 4, -2, 7, 255, 2 ** 31 - 1, -(2 ** 31), 2 ** 32, 2 ** 53, -(2 ** 53)) },
  { weight: 1, arbitrary: fc.integer({ min: -1000, max: 1000 }) },
);
const bigInt = fc.oneof(
  fc.constantFrom(2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n),
  int.map((v) => BigInt(v)),
);
const index = fc.nat({ max: 1 << 20 });
const dtype = fc.oneof(fc.constantFrom(1, 2, 3, 4, 6, 7, 9, 10, 19, 20, 21, 29, 101), fc.integer({ min: -5, max: 400 }));

export type AttrGen =
  | { readonly kind: 's'; readonly v: number }
  | { readonly kind: 'i'; readonly v: bigint }
  | { readonly kind: 'f'; readonly v: number }
  | { readonly kind: 'b'; readonly v: boolean }
  | { readonly kind: 'type'; readonly v: number }
  | { readonly kind: 'shape'; readonly v: readonly bigint[] | null }
  | { readonly kind: 'listI'; readonly v: readonly bigint[] }
  | { readonly kind: 'listType'; readonly v: readonly number[] }
  | { readonly kind: 'listF'; readonly v: readonly number[] }
  | { readonly kind: 'tensor'; readonly dtype: number; readonly dims: readonly bigint[]; readonly bytes: number; readonly vals: number }
  | { readonly kind: 'func'; readonly v: number }
  | { readonly kind: 'empty' };

const attrGen: fc.Arbitrary<AttrGen> = fc.oneof(
  fc.record({ kind: fc.constant('s' as const), v: index }),
  fc.record({ kind: fc.constant('i' as const), v: bigInt }),
  fc.record({ kind: fc.constant('f' as const), v: fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, NaN, Infinity, 1e-5)) }),
  fc.record({ kind: fc.constant('b' as const), v: fc.boolean() }),
  fc.record({ kind: fc.constant('type' as const), v: dtype }),
  fc.record({
    kind: fc.constant('shape' as const),
    v: fc.option(fc.array(fc.oneof(bigInt, fc.constantFrom(-1n, 0n, 1n, 2n)), { maxLength: 6 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('listI' as const), v: fc.array(bigInt, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('listType' as const), v: fc.array(dtype, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('listF' as const), v: fc.array(fc.double(), { maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('tensor' as const),
    dtype,
    dims: fc.array(fc.oneof(fc.constantFrom(0n, 1n, 2n, 3n, -1n), bigInt), { maxLength: 4 }),
    bytes: fc.nat({ max: 64 }),
    vals: fc.nat({ max: 8 }),
  }),
  fc.record({ kind: fc.constant('func' as const), v: index }),
  fc.constant({ kind: 'empty' as const }),
);

export type Mutation =
  | { readonly k: 'op'; readonly node: number; readonly op: number }
  | { readonly k: 'dropAttr'; readonly node: number; readonly attr: number }
  | { readonly k: 'setAttr'; readonly node: number; readonly attr: number; readonly value: AttrGen }
  | { readonly k: 'rewire'; readonly node: number; readonly input: number; readonly to: number; readonly slot: number; readonly control: boolean }
  | { readonly k: 'dropInput'; readonly node: number; readonly input: number }
  | { readonly k: 'dropNode'; readonly node: number }
  | { readonly k: 'dupNode'; readonly node: number }
  | { readonly k: 'rename'; readonly node: number; readonly to: number }
  | { readonly k: 'library'; readonly shape: 'self' | 'mutual' | 'dupAttr' | 'call'; readonly node: number }
  | { readonly k: 'chain'; readonly node: number; readonly length: number; readonly op: number }
  | { readonly k: 'flip'; readonly at: number; readonly bits: number }
  | { readonly k: 'truncate'; readonly at: number }
  | { readonly k: 'splice'; readonly at: number; readonly bytes: readonly number[] };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ k: fc.constant('op' as const), node: index, op: index }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('dropAttr' as const), node: index, attr: index }) },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('setAttr' as const), node: index, attr: index, value: attrGen }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('rewire' as const),
      node: index,
      input: index,
      to: index,
      slot: fc.nat({ max: 3 }),
      control: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dropInput' as const), node: index, input: index }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dropNode' as const), node: index }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('dupNode' as const), node: index }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rename' as const), node: index, to: index }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('library' as const),
      shape: fc.constantFrom('self' as const, 'mutual' as const, 'dupAttr' as const, 'call' as const),
      node: index,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('chain' as const),
      node: index,
      length: fc.oneof(fc.nat({ max: 50 }), fc.constant(3000)),
      op: index,
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('flip' as const), at: index, bits: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('truncate' as const), at: index }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('splice' as const),
      at: index,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    }),
  },
);

export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);

function shapeOf(dims: readonly bigint[]): TensorShapeProto {
  return TensorShapeProtoType.create({
    dim: dims.map((d) => DimType.create(d === 0n ? {} : { size: bigIntToInt64(d) })),
  }) as unknown as TensorShapeProto;
}

function tensorOf(g: Extract<AttrGen, { kind: 'tensor' }>): TensorProto {
  const props: Record<string, unknown> = { dtype: g.dtype, tensor_shape: shapeOf(g.dims) };
  if (g.bytes > 0) props['tensor_content'] = Buffer.alloc(g.bytes, 0x3f);
  else if (g.vals > 0) props['float_val'] = Array.from({ length: g.vals }, (_, i) => i / 2);
  return TensorProtoType.create(props) as unknown as TensorProto;
}

function attrValue(g: AttrGen, names: readonly string[]): AttrValue {
  switch (g.kind) {
    case 's':
      return makeAttr.s(pick(PADDINGS, g.v) ?? '');
    case 'i':
      return makeAttr.i(g.v);
    case 'f':
      return makeAttr.f(g.v);
    case 'b':
      return makeAttr.b(g.v);
    case 'type':
      return makeAttr.type(g.v);
    case 'shape':
      return g.v === null ? makeAttr.shape(null) : (AttrValueType.create({ shape: shapeOf(g.v) }) as unknown as AttrValue);
    case 'listI':
      return makeAttr.listI(g.v);
    case 'listType':
      return makeAttr.listType(g.v);
    case 'listF':
      return makeAttr.listF(g.v);
    case 'tensor':
      return makeAttr.tensor(tensorOf(g));
    case 'func':
      return makeAttr.func(pick(names, g.v) ?? 'f0');
    case 'empty':
      return makeAttr.emptyList();
  }
}

function fn(name: string, callee: string): ReturnType<typeof makeFunctionDef> {
  return makeFunctionDef({
    name,
    inputs: [{ name: 'x', type: DataType.DT_FLOAT }],
    outputs: [{ name: 'y', type: DataType.DT_FLOAT }],
    nodes: [makeNode({ name: 'n', op: callee, input: ['x'] })],
    ret: { y: 'n:y:0' },
  });
}

function mutateGraph(g: GraphDef, m: Mutation): GraphDef {
  const nodes = g.node;
  const names = nodes.map((n) => n.name);
  const at = (i: number): NodeDef | undefined => pick(nodes, i);
  switch (m.k) {
    case 'op': {
      const n = at(m.node);
      if (n) n.op = pick(FUZZ_OPS, m.op) ?? 'NoOp';
      return g;
    }
    case 'dropAttr': {
      const n = at(m.node);
      const k = n ? pick(Object.keys(n.attr), m.attr) : undefined;
      if (n && k !== undefined) delete n.attr[k];
      return g;
    }
    case 'setAttr': {
      const n = at(m.node);
      if (n) n.attr[pick([...Object.keys(n.attr), ...ATTR_NAMES], m.attr) ?? 'T'] = attrValue(m.value, names);
      return g;
    }
    case 'rewire': {
      const n = at(m.node);
      const to = pick(names, m.to);
      if (!n || to === undefined) return g;
      const ref = m.control ? `^${to}` : m.slot === 0 ? to : `${to}:${m.slot}`;
      if (n.input.length === 0 || m.input % 3 === 0) n.input.push(ref);
      else n.input[m.input % n.input.length] = ref;
      return g;
    }
    case 'dropInput': {
      const n = at(m.node);
      if (n && n.input.length > 0) n.input.splice(m.input % n.input.length, 1);
      return g;
    }
    case 'dropNode':
      if (nodes.length > 1) nodes.splice(m.node % nodes.length, 1);
      return g;
    case 'dupNode': {
      const n = at(m.node);
      if (n) nodes.push(makeNode({ name: n.name, op: n.op, input: [...n.input], attr: { ...n.attr } }));
      return g;
    }
    case 'rename': {
      const n = at(m.node);
      const to = pick([...names, '../x', 'a/../../b', '..', '_tf2tvm', 'cluster_0', 'x:0'], m.to);
      if (n && to !== undefined) n.name = to;
      return g;
    }
    case 'library': {
      const n = at(m.node);
      const lib =
        m.shape === 'self'
          ? [fn('f0', 'f0')]
          : m.shape === 'mutual'
            ? [fn('f0', 'f1'), fn('f1', 'f0')]
            : m.shape === 'dupAttr'
              ? [fn('f0', 'Relu'), fn('f0', 'Relu')]
              : [fn('f0', 'Relu')];
      if (n) n.op = 'f0';
      return makeGraphDef({ node: nodes, library: makeFunctionLibrary(lib), versions: g.versions ?? null });
    }
    case 'chain': {
      let prev = pick(names, m.node);
      if (prev === undefined) return g;
      const op = pick(['Relu', 'Neg', 'Abs', 'Identity', 'Sigmoid', 'AddV2'], m.op) ?? 'Relu';
      for (let i = 0; i < m.length; i++) {
        const name = `chain_${i}`;
        nodes.push(makeNode({ name, op, input: op === 'AddV2' ? [prev, prev] : [prev], attr: { T: makeAttr.type(DataType.DT_FLOAT) } }));
        prev = name;
      }
      return g;
    }
    default:
      return g;
  }
}

function mutateBytes(b: Uint8Array, m: Mutation): Uint8Array {
  if (b.length === 0) return b;
  switch (m.k) {
    case 'flip': {
      const out = Uint8Array.from(b);
      const i = m.at % out.length;
      out[i] = (out[i] as number) ^ m.bits;
      return out;
    }
    case 'truncate':
      return b.subarray(0, m.at % b.length);
    case 'splice': {
      const i = m.at % b.length;
      const out = new Uint8Array(b.length + m.bytes.length);
      out.set(b.subarray(0, i));
      out.set(m.bytes, i);
      out.set(b.subarray(i), i + m.bytes.length);
      return out;
    }
    default:
      return b;
  }
}

const BYTE_KINDS = new Set(['flip', 'truncate', 'splice']);

/**
 * The input bytes after the mutations: the structural ones on the decoded
 * graph, then the byte ones on its encoding. Undefined when the seed does not
 * decode or the mutated graph cannot be encoded (not an input to try).
 */
export function applyMutations(seed: Uint8Array, ms: readonly Mutation[]): Uint8Array | undefined {
  let bytes: Uint8Array = seed;
  const structural = ms.filter((m) => !BYTE_KINDS.has(m.k));
  if (structural.length > 0) {
    let g: GraphDef;
    try {
      g = decodeGraphDef(seed);
    } catch {
      return undefined;
    }
    for (const m of structural) g = mutateGraph(g, m);
    try {
      bytes = encodeGraphDef(g);
    } catch {
      return undefined;
    }
  }
  for (const m of ms) if (BYTE_KINDS.has(m.k)) bytes = mutateBytes(bytes, m);
  return bytes;
}
