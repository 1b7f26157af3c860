// Checks of what a decoded graph holds, beyond its structure (validate.ts):
// every dtype, shape and tensor stored in an attribute is one TensorFlow could
// have written (known dtype enums, dimensions of at least -1 whose product
// fits, tensor contents that match their shape and dtype, no constant beyond
// 2 GiB), and the function library is sound (no function, attribute or
// argument defined twice, no function reachable from the graph that calls
// itself). Nothing here needs TensorFlow; the check against TensorFlow's op
// definitions is ir/tf/op-defs.ts.

import { errors } from '../../support/diagnostics.js';
import { checkTensorProto } from './tensor.js';
import {
  DataType,
  dtypeName,
  int64ToBigInt,
  isKnownDtype,
  type AttrValue,
  type FunctionDef,
  type GraphDef,
  type NodeDef,
  type TensorProto,
  type TensorShapeProto,
} from './types.js';

const MAX_ELEMENTS = BigInt(Number.MAX_SAFE_INTEGER);

/** Why a shape attribute is invalid, or null. */
export function shapeProblem(s: TensorShapeProto): string | null {
  if (s.unknown_rank && s.dim.length > 0) return 'has an unknown rank and dimensions too';
  let n = 1n;
  for (const d of s.dim) {
    const v = int64ToBigInt(d.size);
    if (v < -1n) return `has the dimension ${v}; a dimension is -1 (unknown) or at least 0`;
    if (v >= 0n) n *= v;
  }
  if (n > MAX_ELEMENTS) return `[${s.dim.map((d) => String(int64ToBigInt(d.size))).join(', ')}] has more than 2^53 elements`;
  return null;
}

function checkDtype(node: string, attr: string, t: number): void {
  if (!isKnownDtype(t) || t === DataType.DT_INVALID) throw errors.unknownDtype(node, attr, t);
}

function checkShape(node: string, attr: string, s: TensorShapeProto): void {
  const why = shapeProblem(s);
  if (why !== null) throw errors.badShape(node, attr, why);
}

function checkTensor(node: string, attr: string, t: TensorProto): void {
  const p = checkTensorProto(t);
  if (p === null) return;
  switch (p.kind) {
    case 'dtype':
      throw errors.unknownDtype(node, attr, t.dtype);
    case 'shape':
      throw errors.badShape(node, attr, p.message);
    case 'size':
      throw errors.constantTooLarge(node, attr, p.message);
    case 'content':
      throw errors.badTensor(node, attr, p.message);
  }
}

function checkAttr(node: string, name: string, a: AttrValue): void {
  if (a.type !== undefined && a.type !== null) checkDtype(node, name, a.type);
  if (a.shape) checkShape(node, name, a.shape);
  if (a.tensor) checkTensor(node, name, a.tensor);
  const l = a.list;
  if (l) {
    for (const t of l.type) checkDtype(node, name, t);
    for (const s of l.shape) checkShape(node, name, s);
    for (const t of l.tensor) checkTensor(node, name, t);
  }
}

/** The dtypes, shapes and tensors of one node's attributes. */
export function checkNodeContents(n: NodeDef): void {
  for (const [name, a] of Object.entries(n.attr)) checkAttr(n.name, name, a);
  const value = n.attr['value']?.tensor;
  const dtype = n.attr['dtype']?.type;
  if (n.op === 'Const' && value && dtype !== undefined && dtype !== null && value.dtype !== dtype) {
    throw errors.badTensor(n.name, 'value', `holds a ${dtypeName(value.dtype)} tensor, but the node's dtype is ${dtypeName(dtype)}`);
  }
}

/** Names of the functions a node calls: its op, or a function-valued attribute. */
export function calledFunctions(n: NodeDef, library: ReadonlySet<string>): string[] {
  const out: string[] = [];
  if (library.has(n.op)) out.push(n.op);
  for (const a of Object.values(n.attr)) {
    if (a.func && library.has(a.func.name)) out.push(a.func.name);
    for (const f of a.list?.func ?? []) if (library.has(f.name)) out.push(f.name);
  }
  return out;
}

function checkSignature(f: FunctionDef): void {
  const sig = f.signature;
  if (!sig) return;
  const where = `function '${sig.name}'`;
  const seen = (what: string, names: readonly string[]): void => {
    const s = new Set<string>();
    for (const n of names) {
      if (s.has(n)) throw errors.duplicateDefinition(where, what, n);
      s.add(n);
    }
  };
  seen(
    'the attribute',
    sig.attr.map((a) => a.name),
  );
  seen('the argument', [...sig.input_arg.map((a) => a.name), ...sig.output_arg.map((a) => a.name)]);
}

/**
 * The library's functions by name; throws when one is defined twice or when
 * a function reachable from the graph's nodes calls itself (directly or
 * through others). Iterative: a deep call chain uses no stack.
 */
export function checkLibrary(g: GraphDef): ReadonlyMap<string, FunctionDef> {
  const fns = new Map<string, FunctionDef>();
  for (const f of g.library?.function ?? []) {
    const name = f.signature?.name ?? '';
    if (fns.has(name)) throw errors.duplicateDefinition('the function library', 'the function', name);
    fns.set(name, f);
    checkSignature(f);
  }
  if (fns.size === 0) return fns;
  const names = new Set(fns.keys());
  const callees = new Map<string, string[]>();
  for (const [name, f] of fns) callees.set(name, [...new Set(f.node_def.flatMap((n) => calledFunctions(n, names)))]);
  const roots = [...new Set(g.node.flatMap((n) => calledFunctions(n, names)))];
  // 1: on the path, 2: done.
  const state = new Map<string, 1 | 2>();
  for (const root of roots) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const next: number[] = [0];
    state.set(root, 1);
    while (path.length > 0) {
      const f = path[path.length - 1] as string;
      const i = next[next.length - 1] as number;
      const cs = callees.get(f) ?? [];
      if (i === cs.length) {
        state.set(f, 2);
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const c = cs[i] as string;
      const st = state.get(c);
      if (st === 1) throw errors.recursiveFunction([...path.slice(path.indexOf(c)), c]);
      if (st === undefined) {
        state.set(c, 1);
        path.push(c);
        next.push(0);
      }
    }
  }
  return fns;
}

/**
 * Every content check of the graph, in node order, then the library's
 * functions and their nodes: throws the first problem as its diagnostic.
 */
export function checkGraphContents(g: GraphDef): void {
  for (const n of g.node) checkNodeContents(n);
  const fns = checkLibrary(g);
  for (const f of fns.values()) for (const n of f.node_def) checkNodeContents(n);
}
