// Builders for messages the compiler writes back (new NodeDefs, Const nodes,
// TF2TVMBridgeOp attrs). They make protobufjs message instances, which read
// like decoded ones (defaults from the prototype, AttrValue kinds undefined
// unless set), and they set only non-default scalars, as TensorFlow's own
// serializer omits proto3 defaults: what we write then looks like what
// TensorFlow writes.

import type protobuf from 'protobufjs';
import {
  ArgDefType,
  AttrValueType,
  DimType,
  FunctionDefLibraryType,
  FunctionDefType,
  GraphDefType,
  ListValueType,
  NameAttrListType,
  NodeDefType,
  OpDefType,
  TensorShapeProtoType,
  VersionDefType,
} from './schema.js';
import {
  bigIntToInt64,
  type AttrKind,
  type ArgDef,
  type AttrValue,
  type FunctionDef,
  type FunctionDefLibrary,
  type GraphDef,
  type ListValue,
  type NameAttrList,
  type NodeDef,
  type OpDef,
  type TensorProto,
  type TensorShapeProto,
  type VersionDef,
} from './types.js';

function create<T>(type: protobuf.Type, props: object): T {
  return type.create(props) as unknown as T;
}

const utf8 = new TextEncoder();

function toBytes(s: string | Uint8Array): Uint8Array {
  const u = typeof s === 'string' ? utf8.encode(s) : s;
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** A dimension: a size >= 0, or -1 (or null) for unknown. */
export type Dim = bigint | number | null;

/**
 * A TensorShapeProto; `dims` null means unknown rank. Unknown dimensions are
 * -1 (or null).
 */
export function makeShape(dims: readonly Dim[] | null): TensorShapeProto {
  if (dims === null) return create(TensorShapeProtoType, { unknown_rank: true });
  const dim = dims.map((d) => {
    const size = d === null ? -1n : typeof d === 'number' ? BigInt(checkInt(d)) : d;
    if (size < -1n) throw new RangeError(`bad dimension ${size}`);
    return create(DimType, size === 0n ? {} : { size: bigIntToInt64(size) });
  });
  return create(TensorShapeProtoType, { dim });
}

function checkInt(n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
  return n;
}

function attr(props: Partial<Record<AttrKind, unknown>>): AttrValue {
  return create(AttrValueType, props);
}

function list(props: Partial<Record<keyof ListValue, unknown[]>>): AttrValue {
  return attr({ list: create(ListValueType, props) });
}

/** AttrValue builders, one per kind of attr. */
export const makeAttr = {
  /** "string" attr; TensorFlow strings are bytes, a JS string is written as UTF-8. */
  s: (v: string | Uint8Array): AttrValue => attr({ s: toBytes(v) }),
  /** "int" attr (int64). */
  i: (v: bigint | number): AttrValue => attr({ i: bigIntToInt64(v) }),
  /** "float" attr (stored as float32). */
  f: (v: number): AttrValue => attr({ f: v }),
  b: (v: boolean): AttrValue => attr({ b: v }),
  /** "type" attr; a DataType value. */
  type: (dtype: number): AttrValue => attr({ type: dtype }),
  /** "shape" attr; null = unknown rank, -1/null dims = unknown. */
  shape: (dims: readonly Dim[] | null): AttrValue => attr({ shape: makeShape(dims) }),
  tensor: (t: TensorProto): AttrValue => attr({ tensor: t }),
  /** "func" attr: a function name with its instantiation attrs. */
  func: (name: string, attrs: Record<string, AttrValue> = {}): AttrValue => attr({ func: makeNameAttrList(name, attrs) }),
  /** Function-body placeholder naming the function attr that supplies the value. */
  placeholder: (name: string): AttrValue => attr({ placeholder: name }),

  /** An empty "list(...)" attr (any element kind). */
  emptyList: (): AttrValue => list({}),
  listS: (v: readonly (string | Uint8Array)[]): AttrValue => list({ s: v.map(toBytes) }),
  listI: (v: readonly (bigint | number)[]): AttrValue => list({ i: v.map((x) => bigIntToInt64(x)) }),
  listF: (v: readonly number[]): AttrValue => list({ f: [...v] }),
  listB: (v: readonly boolean[]): AttrValue => list({ b: [...v] }),
  listType: (v: readonly number[]): AttrValue => list({ type: [...v] }),
  listShape: (v: readonly (readonly Dim[] | null)[]): AttrValue => list({ shape: v.map(makeShape) }),
  listTensor: (v: readonly TensorProto[]): AttrValue => list({ tensor: [...v] }),
  listFunc: (v: readonly NameAttrList[]): AttrValue => list({ func: [...v] }),
};

export function makeNameAttrList(name: string, attrs: Record<string, AttrValue> = {}): NameAttrList {
  return create(NameAttrListType, name === '' ? { attr: { ...attrs } } : { name, attr: { ...attrs } });
}

const KINDS: readonly AttrKind[] = ['list', 's', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'placeholder', 'func'];

/**
 * Which kind an AttrValue holds, or undefined for an empty AttrValue. Checks
 * own properties, so it works for decoded, built and plain objects alike.
 */
export function attrKind(a: AttrValue): AttrKind | undefined {
  for (const k of KINDS) {
    if (Object.prototype.hasOwnProperty.call(a, k) && a[k] !== undefined && a[k] !== null) return k;
  }
  return undefined;
}

export interface NodeSpec {
  name: string;
  op: string;
  input?: readonly string[];
  device?: string;
  attr?: Record<string, AttrValue>;
}

export function makeNode(spec: NodeSpec): NodeDef {
  const props: Record<string, unknown> = { name: spec.name, op: spec.op };
  if (spec.input !== undefined) props.input = [...spec.input];
  if (spec.device !== undefined && spec.device !== '') props.device = spec.device;
  if (spec.attr !== undefined) props.attr = { ...spec.attr };
  return create(NodeDefType, props);
}

/** A Const node as TensorFlow writes it: attrs "dtype" and "value". */
export function makeConst(name: string, value: TensorProto, device?: string): NodeDef {
  return makeNode({
    name,
    op: 'Const',
    ...(device !== undefined ? { device } : {}),
    attr: { dtype: makeAttr.type(value.dtype), value: makeAttr.tensor(value) },
  });
}

export function makeVersionDef(producer: number, minConsumer = 0, badConsumers: readonly number[] = []): VersionDef {
  const props: Record<string, unknown> = {};
  if (producer !== 0) props.producer = producer;
  if (minConsumer !== 0) props.min_consumer = minConsumer;
  if (badConsumers.length > 0) props.bad_consumers = [...badConsumers];
  return create(VersionDefType, props);
}

export interface GraphSpec {
  node: readonly NodeDef[];
  versions?: VersionDef | null;
  library?: FunctionDefLibrary | null;
}

export function makeGraphDef(spec: GraphSpec): GraphDef {
  const props: Record<string, unknown> = { node: [...spec.node] };
  if (spec.versions) props.versions = spec.versions;
  if (spec.library) props.library = spec.library;
  return create(GraphDefType, props);
}

/** One argument of a function signature: a name and a fixed DataType. */
export interface ArgSpec {
  name: string;
  /** A DataType value. */
  type: number;
}

function makeArgDef(a: ArgSpec): ArgDef {
  return create(ArgDefType, a.type === 0 ? { name: a.name } : { name: a.name, type: a.type });
}

export interface FunctionSpec {
  name: string;
  inputs: readonly ArgSpec[];
  outputs: readonly ArgSpec[];
  /** Body nodes; their inputs in function form: `arg`, `node:output_arg:index`, `^node`. */
  nodes: readonly NodeDef[];
  /** Output arg name -> the body tensor it returns. Written in sorted key order, as TensorFlow's deterministic serialisation writes maps. */
  ret: Readonly<Record<string, string>>;
  attr?: Record<string, AttrValue>;
}

/** A FunctionDef with a signature of fixed-type arguments (no type attrs). */
export function makeFunctionDef(spec: FunctionSpec): FunctionDef {
  const sigProps: Record<string, unknown> = { name: spec.name };
  if (spec.inputs.length > 0) sigProps.input_arg = spec.inputs.map(makeArgDef);
  if (spec.outputs.length > 0) sigProps.output_arg = spec.outputs.map(makeArgDef);
  const signature = create<OpDef>(OpDefType, sigProps);
  const sorted = <V>(r: Readonly<Record<string, V>>): Record<string, V> =>
    Object.fromEntries(
      Object.keys(r)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((k) => [k, r[k]!]),
    );
  const props: Record<string, unknown> = { signature };
  if (spec.nodes.length > 0) props.node_def = [...spec.nodes];
  if (Object.keys(spec.ret).length > 0) props.ret = sorted(spec.ret);
  if (spec.attr !== undefined && Object.keys(spec.attr).length > 0) props.attr = sorted(spec.attr);
  return create(FunctionDefType, props);
}

export function makeFunctionLibrary(functions: readonly FunctionDef[]): FunctionDefLibrary {
  return create(FunctionDefLibraryType, functions.length > 0 ? { function: [...functions] } : {});
}
