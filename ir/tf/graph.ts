// A read-only view of a TensorFlow graph for the passes: nodes in a stable
// topological order, parsed input references, consumers. TensorFlow loop back
// edges (NextIteration -> Merge) are ignored for the order, as TensorFlow does.

import type { GraphDef, NodeDef } from './graphdef/io.js';
import { parseInputRef } from './graphdef/validate.js';
import { Heap } from '../support/heap.js';
import { errors } from '../support/diagnostics.js';

export interface TensorRef {
  readonly node: string;
  readonly index: number;
}

export interface GNode {
  readonly name: string;
  readonly op: string;
  readonly device: string;
  readonly def: NodeDef;
  /** Data inputs in order. */
  readonly inputs: readonly TensorRef[];
  /** Nodes this one has a control dependency on. */
  readonly controlInputs: readonly string[];
  /** Position in the topological order. */
  readonly order: number;
}

export function tensorName(t: TensorRef): string {
  return `${t.node}:${t.index}`;
}

const BACK_EDGE_TARGETS = new Set(['Merge', 'RefMerge']);
const BACK_EDGE_SOURCES = new Set(['NextIteration', 'RefNextIteration']);

export class GraphView {
  readonly nodes: readonly GNode[];
  private readonly byName = new Map<string, GNode>();
  private readonly consumerMap = new Map<string, GNode[]>();
  private readonly controlConsumerMap = new Map<string, GNode[]>();

  constructor(readonly graph: GraphDef) {
    const defs = graph.node ?? [];
    const parsed = defs.map((def) => {
      const inputs: TensorRef[] = [];
      const controlInputs: string[] = [];
      for (const s of def.input ?? []) {
        const r = parseInputRef(s);
        if (r.control) controlInputs.push(r.node);
        else inputs.push({ node: r.node, index: r.index });
      }
      return { def, inputs, controlInputs };
    });
    // Kahn's algorithm, taking ready nodes in file order, so the order depends
    // only on the graph. Edges in flat arrays (CSR): one small array per node
    // would be a million allocations on a million-node graph.
    const index = new Map<string, number>();
    defs.forEach((d, i) => index.set(d.name, i));
    const n = defs.length;
    const indegree = new Int32Array(n);
    const edgeFrom: number[] = [];
    const edgeTo: number[] = [];
    parsed.forEach((p, i) => {
      const backTarget = BACK_EDGE_TARGETS.has(p.def.op);
      const edge = (src: string): void => {
        const j = index.get(src);
        if (j === undefined) return;
        if (backTarget && BACK_EDGE_SOURCES.has(defs[j]!.op)) return;
        indegree[i]!++;
        edgeFrom.push(j);
        edgeTo.push(i);
      };
      for (const t of p.inputs) edge(t.node);
      for (const c of p.controlInputs) edge(c);
    });
    const start = new Int32Array(n + 1);
    for (const j of edgeFrom) start[j + 1]!++;
    for (let j = 0; j < n; j++) start[j + 1]! += start[j]!;
    const succ = new Int32Array(edgeFrom.length);
    const fill = start.slice(0, n);
    // Edges of one source keep the order they were found in (by consumer, then input).
    edgeFrom.forEach((j, e) => (succ[fill[j]!++] = edgeTo[e]!));
    const order: number[] = [];
    // The smallest ready index first: file order breaks ties.
    const heap = new Heap<number>((a, b) => a - b);
    indegree.forEach((d, i) => d === 0 && heap.push(i));
    while (heap.size > 0) {
      const i = heap.pop();
      order.push(i);
      for (let e = start[i]!; e < start[i + 1]!; e++) if (--indegree[succ[e]!]! === 0) heap.push(succ[e]!);
    }
    if (order.length !== defs.length) {
      throw errors.internal('GraphView: graph has a cycle; validate the graph before building a view');
    }
    const nodes: GNode[] = [];
    order.forEach((i, k) => {
      const p = parsed[i]!;
      const n: GNode = {
        name: p.def.name,
        op: p.def.op,
        device: p.def.device ?? '',
        def: p.def,
        inputs: p.inputs,
        controlInputs: p.controlInputs,
        order: k,
      };
      nodes.push(n);
      this.byName.set(n.name, n);
    });
    this.nodes = nodes;
    for (const n of nodes) {
      for (const t of n.inputs) push(this.consumerMap, t.node, n);
      for (const c of n.controlInputs) push(this.controlConsumerMap, c, n);
    }
  }

  node(name: string): GNode {
    const n = this.byName.get(name);
    if (!n) throw errors.internal(`GraphView: no node named ${name}`);
    return n;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Nodes reading a data output of `name` (each once, in topological order). */
  consumers(name: string): readonly GNode[] {
    return this.consumerMap.get(name) ?? [];
  }

  controlConsumers(name: string): readonly GNode[] {
    return this.controlConsumerMap.get(name) ?? [];
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (!list) m.set(k, [v]);
  else if (list[list.length - 1] !== v) list.push(v);
}
