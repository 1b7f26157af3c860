// Structural checks of a decoded graph: unique names, every input produced by
// a node of the graph, no cycle except TensorFlow loop back edges.

import { errors, type Tf2tvmError } from '../../support/diagnostics.js';
import type { GraphDef } from './types.js';

export interface InputRef {
  /** The producing node's name. */
  readonly node: string;
  /** Output index; -1 for a control input (TensorFlow's Graph::kControlSlot). */
  readonly index: number;
  readonly control: boolean;
}

/**
 * Parses a NodeDef input: "node" (output 0), "node:3", or "^node" (control
 * dependency). A suffix that is not ":digits" is part of the node name, as in
 * TensorFlow's ParseTensorName.
 */
export function parseInputRef(s: string): InputRef {
  if (s.startsWith('^')) return { node: s.slice(1), index: -1, control: true };
  // By hand, not by a regular expression: this runs for every input of every node.
  const colon = s.lastIndexOf(':');
  if (colon > 0 && colon < s.length - 1) {
    let digits = true;
    for (let i = colon + 1; i < s.length && digits; i++) {
      const c = s.charCodeAt(i);
      digits = c >= 48 && c <= 57;
    }
    if (digits) return { node: s.slice(0, colon), index: Number(s.slice(colon + 1)), control: false };
  }
  return { node: s, index: 0, control: false };
}

// A data edge NextIteration -> Merge closes a TensorFlow while loop; TensorFlow
// schedules Merge without waiting for it, and so does our cycle check.
const LOOP_SOURCES = new Set(['NextIteration', 'RefNextIteration']);
const LOOP_TARGETS = new Set(['Merge', 'RefMerge']);

/**
 * Every structural problem of the graph, in a fixed order: duplicate names
 * (in node order), dangling inputs (in node and input order), then at most one
 * cycle. Empty for a valid graph.
 */
export function graphProblems(g: GraphDef): Tf2tvmError[] {
  const problems: Tf2tvmError[] = [];
  const nodes = g.node;
  const index = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (index.has(n.name)) problems.push(errors.duplicateNode(n.name));
    else index.set(n.name, i);
  });

  // Edges producer -> consumer in compressed rows: 10k+ node graphs are common.
  const count = new Int32Array(nodes.length + 1);
  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  nodes.forEach((n, v) => {
    for (const input of n.input) {
      const ref = parseInputRef(input);
      const u = index.get(ref.node);
      if (u === undefined || ref.node === '') {
        problems.push(errors.danglingInput(n.name, input));
        continue;
      }
      const producer = nodes[u];
      if (!ref.control && producer !== undefined && LOOP_SOURCES.has(producer.op) && LOOP_TARGETS.has(n.op)) continue;
      edgeFrom.push(u);
      edgeTo.push(v);
      count[u + 1] = (count[u + 1] as number) + 1;
    }
  });
  for (let i = 0; i < nodes.length; i++) count[i + 1] = (count[i + 1] as number) + (count[i] as number);
  const fill = count.slice(0, nodes.length);
  const succ = new Int32Array(edgeFrom.length);
  edgeFrom.forEach((u, e) => {
    const at = fill[u] as number;
    succ[at] = edgeTo[e] as number;
    fill[u] = at + 1;
  });

  const cycle = findCycle(nodes.length, count, succ);
  if (cycle !== null) problems.push(errors.cycle(cycle.map((i) => nodes[i]?.name ?? `#${i}`)));
  return problems;
}

/** Throws the first problem graphProblems finds. */
export function validateGraph(g: GraphDef): void {
  const first = graphProblems(g)[0];
  if (first !== undefined) throw first;
}

/**
 * Iterative depth-first search. Returns one cycle as node indices, first node
 * repeated at the end (a -> b -> a), or null.
 */
function findCycle(n: number, rowStart: Int32Array, succ: Int32Array): number[] | null {
  const WHITE = 0;
  const GRAY = 1;
  const BLACK = 2;
  const color = new Uint8Array(n);
  const next = new Int32Array(n); // next successor slot to visit, per node
  const path: number[] = [];
  for (let root = 0; root < n; root++) {
    if (color[root] !== WHITE) continue;
    color[root] = GRAY;
    next[root] = rowStart[root] as number;
    path.push(root);
    while (path.length > 0) {
      const v = path[path.length - 1] as number;
      const slot = next[v] as number;
      if (slot === rowStart[v + 1]) {
        color[v] = BLACK;
        path.pop();
        continue;
      }
      next[v] = slot + 1;
      const w = succ[slot] as number;
      if (color[w] === GRAY) {
        const from = path.lastIndexOf(w);
        return [...path.slice(from), w];
      }
      if (color[w] === WHITE) {
        color[w] = GRAY;
        next[w] = rowStart[w] as number;
        path.push(w);
      }
    }
  }
  return null;
}
