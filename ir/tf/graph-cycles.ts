// The TensorFlow graph with clusters contracted to single vertices, kept
// acyclic incrementally, after XLA's GraphCycles: every vertex has a rank in a
// topological order maintained under edge insertion (Pearce & Kelly, 2006), so
// the reachability check of a contraction only explores vertices ranked between
// the two ends instead of the whole graph.

import type { GNode, GraphView, TensorRef } from './graph.js';
import { errors } from '../support/diagnostics.js';

export class ContractedGraph {
  private readonly parent: number[];
  private readonly succ: Set<number>[];
  private readonly pred: Set<number>[];
  /** rank[v]: position of live vertex v in a topological order. */
  private readonly rank: number[];
  private readonly mark: number[];
  private stamp = 0;
  readonly index = new Map<string, number>();

  /**
   * `dropsEdge(t, consumer)` names data edges the rewritten graph will not
   * have (a compile-time constant read by a cluster member is baked into the
   * artifact), so they cannot close a cycle.
   */
  constructor(view: GraphView, dropsEdge?: (t: TensorRef, consumer: GNode) => boolean) {
    const n = view.nodes.length;
    this.parent = Array.from({ length: n }, (_, i) => i);
    this.succ = Array.from({ length: n }, () => new Set<number>());
    this.pred = Array.from({ length: n }, () => new Set<number>());
    // The view's order is topological (loop back edges aside).
    this.rank = Array.from({ length: n }, (_, i) => i);
    this.mark = new Array<number>(n).fill(0);
    view.nodes.forEach((node, i) => this.index.set(node.name, i));
    view.nodes.forEach((node, to) => {
      const add = (p: string): void => {
        const from = this.index.get(p);
        // Loop back edges (NextIteration -> Merge) point backwards in the order;
        // they never touch clusterable nodes, and keeping them would make the graph cyclic.
        if (from === undefined || from >= to) return;
        this.succ[from]!.add(to);
        this.pred[to]!.add(from);
      };
      for (const t of node.inputs) if (!dropsEdge?.(t, node)) add(t.node);
      for (const p of node.controlInputs) add(p);
    });
  }

  find(i: number): number {
    let r = i;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[i] !== r) {
      const next = this.parent[i]!;
      this.parent[i] = r;
      i = next;
    }
    return r;
  }

  /** Vertices reachable from `from` (itself included), exploring only ranks <= bound. */
  private forward(from: number, bound: number, stopAt?: number): number[] | 'reached' {
    const stamp = ++this.stamp;
    const found: number[] = [];
    const stack = [from];
    this.mark[from] = stamp;
    while (stack.length) {
      const v = stack.pop()!;
      found.push(v);
      for (const s of this.succ[v]!) {
        if (s === stopAt) return 'reached';
        if (this.mark[s] === stamp || this.rank[s]! > bound) continue;
        this.mark[s] = stamp;
        stack.push(s);
      }
    }
    return found;
  }

  /** Vertices that reach `from` (itself included), exploring only ranks >= bound. */
  private backward(from: number, bound: number): number[] {
    const stamp = ++this.stamp;
    const found: number[] = [];
    const stack = [from];
    this.mark[from] = stamp;
    while (stack.length) {
      const v = stack.pop()!;
      found.push(v);
      for (const p of this.pred[v]!) {
        if (this.mark[p] === stamp || this.rank[p]! < bound) continue;
        this.mark[p] = stamp;
        stack.push(p);
      }
    }
    return found;
  }

  /** Add x -> y, restoring the topological order (the caller knows it adds no cycle). */
  private insertEdge(x: number, y: number): void {
    if (x === y || this.succ[x]!.has(y)) return;
    this.succ[x]!.add(y);
    this.pred[y]!.add(x);
    const rx = this.rank[x]!;
    const ry = this.rank[y]!;
    if (rx < ry) return;
    // Pearce-Kelly: the vertices after y that precede x, and those before x
    // that follow y, swap places; their ranks are reused in sorted order.
    const fwd = this.forward(y, rx, x);
    if (fwd === 'reached') throw errors.internal('ContractedGraph: edge would create a cycle');
    const bwd = this.backward(x, ry);
    const byRank = (a: number, b: number): number => this.rank[a]! - this.rank[b]!;
    fwd.sort(byRank);
    bwd.sort(byRank);
    const ranks = [...bwd, ...fwd].map((v) => this.rank[v]!).sort((a, b) => a - b);
    [...bwd, ...fwd].forEach((v, i) => (this.rank[v] = ranks[i]!));
  }

  /** Whether rb is reachable from ra other than through the edge ra -> rb itself. */
  private hasIndirectPath(ra: number, rb: number): boolean {
    const bound = this.rank[rb]!;
    if (this.rank[ra]! > bound) return false;
    const stamp = ++this.stamp;
    const stack: number[] = [];
    for (const s of this.succ[ra]!) if (s !== rb && this.rank[s]! <= bound) stack.push(s);
    while (stack.length) {
      const v = stack.pop()!;
      if (v === rb) return true;
      if (this.mark[v] === stamp) continue;
      this.mark[v] = stamp;
      for (const s of this.succ[v]!) if (this.mark[s] !== stamp && this.rank[s]! <= bound) stack.push(s);
    }
    return false;
  }

  /**
   * Contract the clusters of a and b, where a's cluster feeds b's; refuses (and
   * returns false) when another path a -> ... -> b exists, which the
   * contraction would turn into a cycle.
   */
  tryContract(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return true;
    const [from, to] = this.rank[ra]! < this.rank[rb]! ? [ra, rb] : [rb, ra];
    if (this.hasIndirectPath(from, to)) return false;
    this.contract(from, to);
    return true;
  }

  /** Contract without the cycle check (used to test what a given clustering does). */
  contract(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    // Keep the lower-ranked vertex; moving the other's edges onto it is a
    // sequence of edge insertions, each of which keeps the order valid.
    const [keep, gone] = this.rank[ra]! < this.rank[rb]! ? [ra, rb] : [rb, ra];
    this.parent[gone] = keep;
    const outs = [...this.succ[gone]!];
    const ins = [...this.pred[gone]!];
    for (const s of outs) this.pred[s]!.delete(gone);
    for (const p of ins) this.succ[p]!.delete(gone);
    this.succ[gone]!.clear();
    this.pred[gone]!.clear();
    this.succ[keep]!.delete(gone);
    this.pred[keep]!.delete(gone);
    for (const s of outs) if (s !== keep) this.insertEdgeUnchecked(keep, s);
    for (const p of ins) if (p !== keep) this.insertEdgeUnchecked(p, keep);
  }

  /** insertEdge, except that a cycle is recorded instead of thrown (for `contract`). */
  private cyclic = false;
  private insertEdgeUnchecked(x: number, y: number): void {
    if (this.cyclic) {
      this.succ[x]!.add(y);
      this.pred[y]!.add(x);
      return;
    }
    try {
      this.insertEdge(x, y);
    } catch {
      this.cyclic = true;
      this.succ[x]!.add(y);
      this.pred[y]!.add(x);
    }
  }

  /** True when the contracted graph is acyclic. */
  isAcyclic(): boolean {
    if (this.cyclic) return false;
    const roots = [...new Set(this.parent.map((_, i) => this.find(i)))];
    return roots.every((v) => [...this.succ[v]!].every((s) => this.rank[s]! > this.rank[v]!));
  }
}
