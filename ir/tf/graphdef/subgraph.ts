// The part of a graph TensorFlow's shape inference needs to answer for some
// nodes: those nodes and everything they depend on (data and control inputs),
// and only the library functions those call. TensorFlow imports a graph whole,
// so a node that depends on an op it does not register (a custom op) cannot be
// asked about: such nodes are left out, with everything that reads them.
// Iterative throughout: graph depth uses no stack.

import { calledFunctions } from './check.js';
import { parseInputRef } from './validate.js';
import { makeFunctionLibrary, makeGraphDef } from './build.js';
import type { FunctionDef, GraphDef, NodeDef } from './types.js';

/**
 * The subgraph TensorFlow needs for `wanted` (node names), or null when none
 * of them can be asked (all depend on an op `registered` says TensorFlow does
 * not know). Nodes keep their order and their NodeDefs (shared, not copied).
 */
export function dependencySubgraph(g: GraphDef, wanted: readonly string[], registered: (op: string) => boolean): GraphDef | null {
  const fns = new Map<string, FunctionDef>();
  for (const f of g.library?.function ?? []) fns.set(f.signature?.name ?? '', f);
  const index = new Map<string, number>();
  g.node.forEach((n, i) => index.set(n.name, i));
  const inputs: number[][] = g.node.map((n) => n.input.map((s) => index.get(parseInputRef(s).node) ?? -1).filter((i) => i >= 0));
  const consumers: number[][] = g.node.map(() => []);
  inputs.forEach((ins, v) => ins.forEach((u) => consumers[u]?.push(v)));

  // Everything downstream of an op TensorFlow does not know.
  const tainted = new Uint8Array(g.node.length);
  const stack: number[] = [];
  g.node.forEach((n, i) => {
    if (!fns.has(n.op) && !registered(n.op)) {
      tainted[i] = 1;
      stack.push(i);
    }
  });
  while (stack.length > 0) {
    for (const c of consumers[stack.pop() as number] ?? []) {
      if (tainted[c] === 0) {
        tainted[c] = 1;
        stack.push(c);
      }
    }
  }

  const kept = new Uint8Array(g.node.length);
  for (const name of wanted) {
    const i = index.get(name);
    if (i !== undefined && tainted[i] === 0 && kept[i] === 0) {
      kept[i] = 1;
      stack.push(i);
    }
  }
  if (stack.length === 0) return null;
  while (stack.length > 0) {
    for (const u of inputs[stack.pop() as number] ?? []) {
      if (kept[u] === 0) {
        kept[u] = 1;
        stack.push(u);
      }
    }
  }
  const nodes: NodeDef[] = g.node.filter((_, i) => kept[i] === 1);

  // The functions those nodes call, and the ones those call.
  const names = new Set(fns.keys());
  const used = new Set<string>();
  const todo = nodes.flatMap((n) => calledFunctions(n, names));
  while (todo.length > 0) {
    const f = todo.pop() as string;
    if (used.has(f)) continue;
    used.add(f);
    for (const n of fns.get(f)?.node_def ?? []) todo.push(...calledFunctions(n, names));
  }
  const library = used.size === 0 ? null : makeFunctionLibrary([...fns].filter(([name]) => used.has(name)).map(([, f]) => f));
  return makeGraphDef({ node: nodes, versions: g.versions ?? null, library });
}
