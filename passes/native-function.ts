// native-function: a cluster's original subgraph as a FunctionDef, which the
// bridge node names in its `native_func` attr so that its kernel can run the
// cluster in TensorFlow when no compiled artifact can (docs/bridge-op.md,
// "Fallback"). The function takes the bridge node's inputs and returns its
// outputs, in the bridge node's order; its body holds the members as they
// are in the graph, plus the outside nodes of constant value they read (the
// Const nodes, and what a baked value was computed from), in the graph's
// order. Body inputs are written as a FunctionDef writes them: `in3` for a
// function argument, `node:output_arg:index` for a node's output, `^node`
// for a control edge between body nodes.

import { makeFunctionDef, makeNode, type AttrValue, type FunctionDef, type NodeDef } from '../ir/tf/graphdef/io.js';
import { functionOutputRef } from '../ir/tf/op-outputs.js';
import { dtypeToTf } from '../ir/tf/dtypes.js';
import { tensorName, type TensorRef } from '../ir/tf/graph.js';
import type { Cluster, TypedState } from './state.js';

export type NativeFunction = { readonly ok: true; readonly fn: FunctionDef } | { readonly ok: false; readonly why: string };

// Attrs that tie a node to others by name (colocation): the other node may be
// outside the function.
const DROPPED_ATTRS = new Set(['_class']);

function valueInEverySet(state: TypedState, t: TensorRef): boolean {
  return state.types.every((m) => m.get(t.node)?.values?.[t.index] !== undefined);
}

/** The function named `name` for `cluster`, or why there is none. */
export function nativeFunction(state: TypedState, cluster: Cluster, name: string): NativeFunction {
  const { view } = state;
  const members = new Set(cluster.nodes);
  // Members, then (walking back from what members read) the outside nodes of
  // constant value the body needs.
  const inputs = new Set(cluster.inputs.map(tensorName));
  const body = new Set(cluster.nodes);
  const stack = [...cluster.nodes];
  while (stack.length > 0) {
    const node = view.node(stack.pop()!);
    for (const t of node.inputs) {
      if (body.has(t.node) || inputs.has(tensorName(t))) continue;
      if (!valueInEverySet(state, t)) {
        const who = members.has(node.name) ? `member ${node.name}` : `${node.name} (outside the cluster, of constant value)`;
        return { ok: false, why: `${who} reads ${tensorName(t)}, which is neither a cluster input nor constant` };
      }
      body.add(t.node);
      stack.push(t.node);
    }
  }
  // Argument names share the body's namespace: pick a prefix no body node uses.
  let prefix = 'in';
  for (let i = 1; [...body].some((n) => new RegExp(`^${prefix}\\d+$`).test(n)); i++) prefix = `in${'_'.repeat(i)}`;
  const args = new Map(cluster.inputs.map((t, j) => [tensorName(t), `${prefix}${j}`]));
  const ref = (t: TensorRef): string | undefined => args.get(tensorName(t)) ?? functionOutputRef(view.node(t.node).op, t.node, t.index);
  const nodes: NodeDef[] = [];
  for (const gnode of view.nodes) {
    if (!body.has(gnode.name)) continue;
    const input: string[] = [];
    for (const t of gnode.inputs) {
      const r = ref(t);
      if (r === undefined) return { ok: false, why: `no output names known for op ${view.node(t.node).op} (${t.node})` };
      input.push(r);
    }
    // Control edges between body nodes stay; those from outside are the bridge node's own.
    if (members.has(gnode.name)) for (const c of gnode.controlInputs) if (members.has(c)) input.push(`^${c}`);
    const attr: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(gnode.def.attr)) if (!DROPPED_ATTRS.has(k)) attr[k] = v;
    nodes.push(makeNode({ name: gnode.name, op: gnode.op, input, device: gnode.device, attr }));
  }
  const ret: Record<string, string> = {};
  for (const [o, t] of cluster.outputs.entries()) {
    const r = ref(t);
    if (r === undefined) return { ok: false, why: `no output names known for op ${view.node(t.node).op} (${t.node})` };
    ret[`out${o}`] = r;
  }
  const typeOf = (t: TensorRef): number => dtypeToTf(state.types[0]!.get(t.node)!.outputs[t.index]!.dtype);
  const fn = makeFunctionDef({
    name,
    inputs: cluster.inputs.map((t, j) => ({ name: `${prefix}${j}`, type: typeOf(t) })),
    outputs: cluster.outputs.map((t, o) => ({ name: `out${o}`, type: typeOf(t) })),
    nodes,
    ret,
  });
  return { ok: true, fn };
}
