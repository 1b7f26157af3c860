// The check of a graph's nodes against TensorFlow's own op definitions, before
// any pass reads an attribute: every attribute an op requires is there, each
// has the kind its definition says (an int where an int belongs), its value
// is one the definition allows (a dtype, a padding name) and not below its
// minimum, no attribute is one the op does not define, and the node has as
// many data inputs as its definition and attributes say; then the edges: no
// input reads an output beyond those its producer's op has, and none reads a
// tensor of another dtype than its argument takes (where both dtypes follow
// from the definitions and the attributes present). The definitions
// (OpRegistry) come from the toolchain's TensorFlow (backends/tf/op-registry.ts).
// Ops TensorFlow does not register (custom ops) and calls of library
// functions are not checked here: they stay in TensorFlow.

import { attrKind, baseDtype, dtypeName, int64ToBigInt, type AttrKind, type AttrValue, type GraphDef, type NodeDef } from './graphdef/io.js';
import { ATTR_KIND_NAMES } from './attrs.js';
import { parseInputRef } from './graphdef/validate.js';
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

/**
 * One input or output argument: a single tensor, N tensors (number attr) or
 * one per dtype of a list attr; of a fixed dtype, or of a type attr's.
 */
export interface ArgSpec {
  readonly name: string;
  readonly number?: string;
  readonly typeList?: string;
  readonly typeAttr?: string;
  /** A fixed DataType. */
  readonly dtype?: number;
}

export interface OpSpec {
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  readonly inputs: readonly ArgSpec[];
  readonly outputs: readonly ArgSpec[];
}

/** The layout of the registry document (FORMAT in backends/tf/op_registry.py). */
export const OP_REGISTRY_FORMAT = 2;

/** TensorFlow's op registry as backends/tf/op_registry.py dumps it. */
export interface OpRegistry {
  readonly format: typeof OP_REGISTRY_FORMAT;
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

/** How many tensors an argument stands for at this node; undefined when its attribute is absent. */
function argCount(n: NodeDef, arg: ArgSpec): number | undefined {
  if (arg.number !== undefined) {
    const v = n.attr[arg.number]?.i;
    return v === undefined || v === null ? undefined : Number(int64ToBigInt(v));
  }
  if (arg.typeList !== undefined) {
    const l = n.attr[arg.typeList]?.list;
    return l ? l.type.length : undefined;
  }
  return 1;
}

/** How many tensors the arguments stand for at this node, or undefined if an attribute saying it is absent. */
export function argsCount(n: NodeDef, args: readonly ArgSpec[]): number | undefined {
  let count = 0;
  for (const arg of args) {
    const c = argCount(n, arg);
    if (c === undefined) return undefined;
    count += c;
  }
  return count;
}

/** What an argument's tensor at a position is: its dtype where the node says it, and the rule that sets it. */
interface Slot {
  readonly arg: string;
  readonly dtype?: number;
  /** The attribute giving the dtype, or undefined for a dtype the op fixes. */
  readonly attr?: string;
}

/**
 * The argument (and dtype) of the tensor at `index` of the arguments, or
 * undefined where the attributes do not say (an absent count or type attr).
 */
export function argSlot(n: NodeDef, args: readonly ArgSpec[], index: number): Slot | undefined {
  let at = 0;
  for (const arg of args) {
    const c = argCount(n, arg);
    if (c === undefined) return undefined;
    if (index < at + c) {
      if (arg.typeList !== undefined) return { arg: arg.name, dtype: n.attr[arg.typeList]?.list?.type[index - at], attr: arg.typeList };
      if (arg.typeAttr !== undefined) {
        const t = n.attr[arg.typeAttr];
        return { arg: arg.name, dtype: t !== undefined && attrKind(t) === 'type' ? t.type : undefined, attr: arg.typeAttr };
      }
      return { arg: arg.name, dtype: arg.dtype };
    }
    at += c;
  }
  return undefined;
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
  // Attributes without a default are there by now; one with a default may be absent (0 tensors).
  let expected = 0;
  for (const arg of spec.inputs) expected += argCount(n, arg) ?? 0;
  if (got !== expected) throw errors.inputCount(n.name, n.op, got, expected);
}

/**
 * Checks the data edges into node `n` (whose op has `spec`): each reads an
 * output its producer's op has, of the dtype its argument takes. A producer
 * whose op is not registered (or a library function) is not judged, nor a
 * dtype an absent attribute would give: only what is certain.
 */
function checkNodeEdges(n: NodeDef, spec: OpSpec | undefined, specOf: (node: string) => readonly [NodeDef, OpSpec] | undefined): void {
  let data = 0;
  for (const input of n.input) {
    if (input.startsWith('^')) continue;
    const i = data++;
    const ref = parseInputRef(input);
    const producer = specOf(ref.node);
    if (producer === undefined) continue;
    const [p, pspec] = producer;
    const outputs = argsCount(p, pspec.outputs);
    if (outputs !== undefined && ref.index >= outputs) throw errors.outputOutOfRange(n.name, n.op, i, input, p.name, p.op, outputs);
    if (spec === undefined) continue;
    const given = argSlot(p, pspec.outputs, ref.index)?.dtype;
    const wanted = argSlot(n, spec.inputs, i);
    if (given === undefined || wanted?.dtype === undefined) continue;
    if (baseDtype(given) !== baseDtype(wanted.dtype)) {
      throw errors.inputDtypeMismatch(n.name, n.op, i, input, dtypeName(given), wanted.arg, dtypeName(wanted.dtype), wanted.attr);
    }
  }
}

/**
 * Checks every node of the graph whose op TensorFlow registers (in node
 * order), then every data edge (output index and dtype, where the ends'
 * definitions say them); nodes of other ops, and calls of the library's
 * functions, pass.
 */
export function checkOpDefs(g: GraphDef, registry: OpRegistry): void {
  const library = new Set((g.library?.function ?? []).map((f) => f.signature?.name ?? ''));
  const specOfOp = (op: string): OpSpec | undefined => (library.has(op) || !Object.hasOwn(registry.ops, op) ? undefined : registry.ops[op]);
  for (const n of g.node) {
    const spec = specOfOp(n.op);
    if (spec !== undefined) checkNodeAttrs(n, spec);
  }
  // Every node's attributes are checked before an edge is: a producer's
  // output count and dtypes are read from attributes of the right kinds.
  const byName = new Map<string, NodeDef>();
  for (const n of g.node) byName.set(n.name, n);
  const specOf = (name: string): readonly [NodeDef, OpSpec] | undefined => {
    const p = byName.get(name);
    const spec = p === undefined ? undefined : specOfOp(p.op);
    return p === undefined || spec === undefined ? undefined : [p, spec];
  };
  for (const n of g.node) checkNodeEdges(n, specOfOp(n.op), specOf);
}
