// The check of a graph's nodes against TensorFlow's own op definitions, before
// any pass reads an attribute: every attribute an op requires is there, each
// has the kind its definition says (an int where an int belongs), its value
// is one the definition allows (a dtype, a padding name) and not below its
// minimum, no attribute is one the op does not define, and the node has as
// many data inputs as its definition and attributes say. The definitions
// (OpRegistry) come from the toolchain's TensorFlow (backends/tf/op-registry.ts).
// Ops TensorFlow does not register (custom ops) and calls of library
// functions are not checked here: they stay in TensorFlow.

import { attrKind, baseDtype, dtypeName, int64ToBigInt, type AttrKind, type AttrValue, type GraphDef, type NodeDef } from './graphdef/io.js';
import { ATTR_KIND_NAMES } from './attrs.js';
import { errors } from '../support/diagnostics.js';

/** One attribute of an op definition (OpDef.AttrDef, the parts the check needs). */
export interface AttrSpec {
  /** "int", "list(type)", ... as in OpDef. */
  readonly type: string;
  /** The definition has a default value: the attribute may be absent. */
  readonly default?: boolean;
  /** Allowed dtypes (DataType numbers) or strings. */
  readonly allowed?: readonly (number | string)[];
  /** The minimum of an int, or of a list's length. */
  readonly minimum?: number;
}

/** One input argument: a single tensor, N tensors (number attr) or one per dtype of a list attr. */
export interface InputSpec {
  readonly number?: string;
  readonly typeList?: string;
}

export interface OpSpec {
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  readonly inputs: readonly InputSpec[];
}

/** TensorFlow's op registry as backends/tf/op_registry.py dumps it. */
export interface OpRegistry {
  readonly format: 1;
  readonly tensorflow: string;
  readonly ops: Readonly<Record<string, OpSpec>>;
}

const SCALAR_KINDS: Readonly<Record<string, AttrKind>> = {
  string: 's',
  int: 'i',
  float: 'f',
  bool: 'b',
  type: 'type',
  shape: 'shape',
  tensor: 'tensor',
  func: 'func',
};

const LIST_NAMES: Readonly<Record<string, string>> = {
  s: 'a list of strings (list.s)',
  i: 'a list of ints (list.i)',
  f: 'a list of floats (list.f)',
  b: 'a list of bools (list.b)',
  type: 'a list of types (list.type)',
  shape: 'a list of shapes (list.shape)',
  tensor: 'a list of tensors (list.tensor)',
  func: 'a list of functions (list.func)',
};

type ListKey = 's' | 'i' | 'f' | 'b' | 'type' | 'shape' | 'tensor' | 'func';
const LIST_KEYS: readonly ListKey[] = ['s', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'func'];

function describe(a: AttrValue): string {
  const k = attrKind(a);
  if (k === undefined) return 'empty';
  if (k === 'list') {
    const l = a.list;
    const used = LIST_KEYS.find((key) => (l?.[key]?.length ?? 0) > 0);
    return used === undefined ? 'an empty list' : (LIST_NAMES[used] as string);
  }
  return ATTR_KIND_NAMES[k];
}

const decoder = new TextDecoder();

function checkValue(n: NodeDef, name: string, spec: AttrSpec, a: AttrValue): void {
  const list = /^list\((\w+)\)$/.exec(spec.type)?.[1];
  const base = list ?? spec.type;
  const kind = SCALAR_KINDS[base];
  if (kind === undefined) return; // a kind this check does not know: TensorFlow's to judge
  const wrong = (expected: string) => errors.attrWrongKind(n.name, n.op, name, expected, describe(a));
  let values: unknown[];
  if (list !== undefined) {
    if (attrKind(a) !== 'list' || !a.list) throw wrong(LIST_NAMES[kind] as string);
    const l = a.list;
    if (LIST_KEYS.some((key) => key !== kind && (l[key]?.length ?? 0) > 0)) throw wrong(LIST_NAMES[kind] as string);
    values = [...(l[kind as ListKey] as readonly unknown[])];
    if (spec.minimum !== undefined && values.length < spec.minimum) {
      throw errors.attrBelowMinimum(n.name, n.op, name, `a list of ${values.length}`, spec.minimum);
    }
  } else {
    if (attrKind(a) !== kind) throw wrong(ATTR_KIND_NAMES[kind]);
    values = [a[kind]];
    if (kind === 'i' && spec.minimum !== undefined) {
      const v = int64ToBigInt(a.i as NonNullable<AttrValue['i']>);
      if (v < BigInt(spec.minimum)) throw errors.attrBelowMinimum(n.name, n.op, name, String(v), spec.minimum);
    }
  }
  const allowed = spec.allowed;
  if (allowed === undefined || allowed.length === 0) return;
  for (const v of values) {
    if (kind === 'type') {
      const t = v as number;
      if (!allowed.includes(baseDtype(t))) {
        throw errors.attrNotAllowed(
          n.name,
          n.op,
          name,
          dtypeName(t),
          allowed.map((x) => dtypeName(x as number)),
        );
      }
    } else if (kind === 's') {
      const s = decoder.decode(v as Uint8Array);
      if (!allowed.includes(s))
        throw errors.attrNotAllowed(
          n.name,
          n.op,
          name,
          JSON.stringify(s),
          allowed.map((x) => JSON.stringify(x)),
        );
    }
  }
}

/** How many data inputs the definition takes for this node's attributes (checked first). */
function expectedInputs(n: NodeDef, spec: OpSpec): number {
  let count = 0;
  for (const arg of spec.inputs) {
    if (arg.number !== undefined) {
      const v = n.attr[arg.number]?.i;
      count += v === undefined || v === null ? 0 : Number(int64ToBigInt(v));
    } else if (arg.typeList !== undefined) {
      count += n.attr[arg.typeList]?.list?.type.length ?? 0;
    } else {
      count += 1;
    }
  }
  return count;
}

/** Checks one node against its op's definition; throws the first problem. */
export function checkNodeAttrs(n: NodeDef, spec: OpSpec): void {
  for (const name of Object.keys(n.attr)) {
    if (!name.startsWith('_') && spec.attrs[name] === undefined) throw errors.attrNotInOpDef(n.name, n.op, name);
  }
  for (const [name, a] of Object.entries(spec.attrs)) {
    const v = n.attr[name];
    if (v === undefined) {
      if (!a.default) throw errors.attrMissing(n.name, n.op, name);
      continue;
    }
    checkValue(n, name, a, v);
  }
  const got = n.input.filter((s) => !s.startsWith('^')).length;
  const expected = expectedInputs(n, spec);
  if (got !== expected) throw errors.inputCount(n.name, n.op, got, expected);
}

/**
 * Checks every node of the graph whose op TensorFlow registers (in node
 * order); nodes of other ops, and calls of the library's functions, pass.
 */
export function checkOpDefs(g: GraphDef, registry: OpRegistry): void {
  const library = new Set((g.library?.function ?? []).map((f) => f.signature?.name ?? ''));
  for (const n of g.node) {
    if (library.has(n.op)) continue;
    const spec = registry.ops[n.op];
    if (spec !== undefined) checkNodeAttrs(n, spec);
  }
}
