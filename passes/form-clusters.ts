// form-clusters: contracts edges between nodes TVM may take into clusters,
// greedily in topological order, refusing any contraction that would create a
// cycle through TensorFlow (a path cluster -> outside -> cluster). The check
// runs incrementally on the contracted graph of all nodes (ir/tf/graph-cycles.ts)
// at every contraction; then the
// policy and size limits dissolve clusters that are not worth a bridge op.

import type { Pass } from './pass-manager.js';
import type { Cluster, ClusteredState, Mark, MarkedState, TypedState, UnmergedEdge } from './state.js';
import type { ReasonCode } from '../ir/support/reasons.js';
import type { TensorRef } from '../ir/tf/graph.js';
import { COMPUTE_OPS_TEXT, OPS } from '../ir/tf/ops/index.js';
import { ContractedGraph } from '../ir/tf/graph-cycles.js';

export { ContractedGraph };

function hasValueInEverySet(state: TypedState, t: TensorRef): boolean {
  return state.types.every((m) => m.get(t.node)?.values?.[t.index] !== undefined);
}

/** Bridge inputs, outputs and control inputs of a set of member nodes. */
export function clusterInterface(state: TypedState, name: string, members: readonly string[]): Cluster {
  const { view } = state;
  const inside = new Set(members);
  const inputs: TensorRef[] = [];
  const seenIn = new Set<string>();
  const controlInputs: string[] = [];
  const seenControl = new Set<string>();
  const outputs: TensorRef[] = [];
  // An outside node whose outputs are all compile-time constants and whose only
  // readers are members (Keras' Shape feeding a folded reshape) is dead once
  // the cluster bakes its value in: the cluster need not export what it reads,
  // and the rewrite drops it.
  // Only producers of members' inputs can qualify (every reader is a member):
  // looked for there, not over the whole graph at every cluster.
  const feeding = new Set<string>();
  for (const m of members) for (const t of view.node(m).inputs) if (!inside.has(t.node) && view.has(t.node)) feeding.add(t.node);
  const baked = new Set(
    [...feeding]
      .map((name) => view.node(name))
      .filter((u) => u.op !== 'Const' && view.controlConsumers(u.name).length === 0)
      .filter((u) => {
        const users = view.consumers(u.name);
        const n = state.types[0]!.get(u.name)!.outputs.length;
        return (
          users.length > 0 &&
          users.every((c) => inside.has(c.name)) &&
          n > 0 &&
          Array.from({ length: n }, (_, k) => k).every((k) => hasValueInEverySet(state, { node: u.name, index: k }))
        );
      })
      .sort((a, b) => a.order - b.order)
      .map((u) => u.name),
  );
  for (const m of members) {
    const node = view.node(m);
    for (const t of node.inputs) {
      const key = `${t.node}:${t.index}`;
      if (inside.has(t.node) || seenIn.has(key) || hasValueInEverySet(state, t)) continue;
      seenIn.add(key);
      inputs.push(t);
    }
    for (const c of node.controlInputs)
      if (!inside.has(c) && !seenControl.has(c)) {
        seenControl.add(c);
        controlInputs.push(c);
      }
    const dataUsers = view.consumers(m);
    const controlUsers = view.controlConsumers(m);
    const count = state.types[0]!.get(m)!.outputs.length;
    let upTo = -1;
    if (dataUsers.length === 0 && controlUsers.length === 0) upTo = count - 1; // fetchable graph output
    for (const u of dataUsers) {
      if (inside.has(u.name) || baked.has(u.name)) continue;
      for (const t of u.inputs) if (t.node === m) upTo = Math.max(upTo, t.index);
    }
    for (let k = 0; k <= upTo; k++) outputs.push({ node: m, index: k });
  }
  return { name, nodes: members, inputs, outputs, controlInputs, baked: [...baked] };
}

/**
 * Whether the final clusters leave the rewritten graph acyclic: each cluster
 * one vertex, without the edges the rewrite removes (constants read by
 * members); Kahn's algorithm on that quotient graph, linear in its size.
 */
export function rewriteIsAcyclic(state: TypedState, clusters: readonly (readonly string[])[]): boolean {
  const { view } = state;
  const n = view.nodes.length;
  // Vertex of each node (by position in the view's order): its cluster's first member's, else its own.
  const vertex = new Int32Array(n);
  for (let i = 0; i < n; i++) vertex[i] = i;
  const clusterOf = new Map<string, number>();
  clusters.forEach((c, k) => {
    const head = view.node(c[0]!).order;
    for (const m of c) {
      clusterOf.set(m, k);
      vertex[view.node(m).order] = head;
    }
  });
  const from: number[] = [];
  const to: number[] = [];
  for (let i = 0; i < n; i++) {
    const node = view.nodes[i]!;
    const mine = clusterOf.get(node.name);
    const edge = (producer: string): void => {
      const j = view.has(producer) ? view.node(producer).order : -1;
      // Loop back edges (NextIteration -> Merge) point backwards in the order and never touch a cluster.
      if (j < 0 || j >= i || vertex[j] === vertex[i]) return;
      from.push(vertex[j]!);
      to.push(vertex[i]!);
    };
    for (const t of node.inputs) {
      if (mine !== undefined && clusterOf.get(t.node) !== mine && hasValueInEverySet(state, t)) continue; // baked in
      edge(t.node);
    }
    for (const c of node.controlInputs) edge(c);
  }
  const indegree = new Int32Array(n);
  const start = new Int32Array(n + 1);
  for (let e = 0; e < from.length; e++) {
    indegree[to[e]!]!++;
    start[from[e]! + 1]!++;
  }
  for (let v = 0; v < n; v++) start[v + 1]! += start[v]!;
  const succ = new Int32Array(from.length);
  const fill = start.slice(0, n);
  for (let e = 0; e < from.length; e++) succ[fill[from[e]!]!++] = to[e]!;
  const ready: number[] = [];
  let vertices = 0;
  for (let v = 0; v < n; v++)
    if (vertex[v] === v) {
      vertices++;
      if (indegree[v] === 0) ready.push(v);
    }
  let done = 0;
  while (ready.length > 0) {
    const v = ready.pop()!;
    done++;
    for (let e = start[v]!; e < start[v + 1]!; e++) if (--indegree[succ[e]!]! === 0) ready.push(succ[e]!);
  }
  return done === vertices;
}

function formClusters(state: MarkedState): ClusteredState {
  // Constants read by a member vanish from the rewritten graph, so they need
  // not block a contraction (Keras' Shape -> StridedSlice -> Pack -> Reshape
  // around a conv). If dissolving a cluster later brings such an edge back in
  // a way that closes a cycle, cluster again counting every edge.
  const optimistic = formClustersWith(state, true);
  if (
    rewriteIsAcyclic(
      state,
      optimistic.clusters.map((c) => c.nodes),
    )
  )
    return optimistic;
  return formClustersWith(state, false);
}

function formClustersWith(state: MarkedState, skipConstantEdges: boolean): ClusteredState {
  const { view, options, marks } = state;
  const candidate = (name: string): boolean => marks.get(name)?.ok === true;
  const g = new ContractedGraph(view, skipConstantEdges ? (t, consumer) => candidate(consumer.name) && hasValueInEverySet(state, t) : undefined);
  const ok = (name: string): (Mark & { ok: true }) | undefined => {
    const m = marks.get(name);
    return m?.ok ? m : undefined;
  };
  // The candidates' marks by vertex (a vertex is a position in the view's order).
  const okAt = view.nodes.map((n) => ok(n.name));
  // Effective members per vertex (a root's count is its cluster's).
  const size = new Int32Array(view.nodes.length);
  okAt.forEach((m, i) => (size[i] = m?.effective ? 1 : 0));
  const refused: { from: string; to: string; reason: ReasonCode }[] = [];

  view.nodes.forEach((n, v) => {
    if (!okAt[v]) return;
    // A NoOp has no data inputs: it joins the clusters of the nodes it waits for
    // (its control inputs), so a member -> NoOp -> member path stays inside one cluster.
    const along = n.op === 'NoOp' ? n.controlInputs.map((node) => ({ node })) : n.inputs;
    for (const t of along) {
      const u = g.index.get(t.node);
      if (u === undefined || !okAt[u]) continue;
      const ru = g.find(u);
      const rv = g.find(v);
      if (ru === rv) continue;
      const merged = size[ru]! + size[rv]!;
      if (merged > options.maxClusterSize) {
        refused.push({ from: t.node, to: n.name, reason: 'size-limit' });
        continue;
      }
      if (!g.tryContract(u, v)) {
        refused.push({ from: t.node, to: n.name, reason: 'would-form-cycle' });
        continue;
      }
      size[g.find(v)] = merged;
    }
  });

  // Group members by root, in topological order of members.
  const groups = new Map<number, string[]>();
  view.nodes.forEach((n, i) => {
    if (!okAt[i]) return;
    const r = g.find(i);
    const list = groups.get(r);
    if (list) list.push(n.name);
    else groups.set(r, [n.name]);
  });
  const dropped = new Map<string, { reason: ReasonCode; message: string }>();
  const kept: string[][] = [];
  for (const members of groups.values()) {
    const eff = members.filter((m) => ok(m)!.effective).length;
    // One reason object per group, shared by its members.
    if (options.policy === 'compute' && !members.some((m) => ok(m)!.compute)) {
      const why = { reason: 'no-compute-op' as const, message: `no ${COMPUTE_OPS_TEXT} in reach (policy compute)` };
      for (const m of members) dropped.set(m, why);
    } else if (eff < options.minClusterSize || eff === 0) {
      const why = {
        reason: 'below-min-size' as const,
        message: `cluster of ${eff} effective nodes is below --min-cluster-size ${options.minClusterSize}`,
      };
      for (const m of members) dropped.set(m, why);
    } else kept.push(members);
  }
  // Groups are in order of their first member already (Map insertion order).
  // A group whose tensors nobody reads (its members feed control edges only)
  // would be a function without results: its nodes stay in TensorFlow.
  const clusters: Cluster[] = [];
  for (const members of kept) {
    const c = clusterInterface(state, `cluster_${clusters.length}`, members);
    if (c.outputs.length > 0) clusters.push(c);
    else {
      const why = { reason: 'no-cluster-output' as const, message: 'no member output is read as data outside the cluster (only control edges)' };
      for (const m of members) dropped.set(m, why);
    }
  }
  const clusterOf = new Map<string, string>();
  for (const c of clusters) for (const m of c.nodes) clusterOf.set(m, c.name);
  const unmergedEdges = explainEdges(state, clusterOf, refused, dropped);
  return { ...state, clusters, unmergedEdges, dropped };
}

/** Reasons a node of a supported op type was kept apart (not type or shape problems). */
const SEPARATING = new Set<ReasonCode>(['excluded-op', 'excluded-node', 'device', 'in-loop']);

/**
 * Every data edge between two nodes whose ops tf2tvm supports that did not end
 * inside one cluster, with why: a refused contraction (cycle, size), a
 * user exclusion or device, or the policy dissolving a cluster.
 */
function explainEdges(
  state: MarkedState,
  clusterOf: ReadonlyMap<string, string>,
  refused: readonly UnmergedEdge[],
  dropped: ReadonlyMap<string, { reason: ReasonCode }>,
): UnmergedEdge[] {
  const { marks } = state;
  const refusedReason = new Map(refused.map((e) => [`${e.from}\0${e.to}`, e.reason]));
  const supported = (name: string): boolean => {
    const m = marks.get(name);
    return m !== undefined && (m.ok || SEPARATING.has(m.reason)) && OPS.get(state.view.node(name).op)?.lower !== undefined;
  };
  const out: UnmergedEdge[] = [];
  for (const n of state.view.nodes) {
    if (!supported(n.name)) continue;
    // An edge is reported once, however many inputs of n read its producer.
    const seen = n.inputs.length > 1 ? new Set<string>() : undefined;
    for (const t of n.inputs) {
      if (seen?.has(t.node) || !supported(t.node)) continue;
      seen?.add(t.node);
      const a = clusterOf.get(t.node);
      if (a !== undefined && a === clusterOf.get(n.name)) continue;
      const ma = marks.get(t.node)!;
      const mb = marks.get(n.name)!;
      const reason =
        (refusedReason.size > 0 ? refusedReason.get(`${t.node}\0${n.name}`) : undefined) ??
        (!ma.ok ? ma.reason : !mb.ok ? mb.reason : (dropped.get(t.node)?.reason ?? dropped.get(n.name)?.reason));
      if (reason) out.push({ from: t.node, to: n.name, reason });
    }
  }
  return out;
}

export const formClustersPass: Pass<MarkedState, ClusteredState> = {
  name: 'form-clusters',
  run: formClusters,
  verify(state) {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const c of state.clusters) {
      for (const m of c.nodes) {
        if (seen.has(m)) problems.push(`node ${m} is in two clusters`);
        seen.add(m);
      }
    }
    // The rewritten graph (clusters contracted, baked constants gone) must be acyclic.
    if (
      !rewriteIsAcyclic(
        state,
        state.clusters.map((c) => c.nodes),
      )
    )
      problems.push('contracting the clusters makes the graph cyclic');
    return problems;
  },
  print(state) {
    const lines: string[] = [];
    for (const c of state.clusters) {
      lines.push(`${c.name}: ${c.nodes.length} nodes`);
      lines.push(`  nodes: ${c.nodes.join(', ')}`);
      lines.push(`  inputs: ${c.inputs.map((t) => `${t.node}:${t.index}`).join(', ') || '-'}`);
      lines.push(`  outputs: ${c.outputs.map((t) => `${t.node}:${t.index}`).join(', ')}`);
      if (c.controlInputs.length) lines.push(`  control inputs: ${c.controlInputs.join(', ')}`);
    }
    for (const e of state.unmergedEdges) lines.push(`not merged: ${e.from} -> ${e.to}: ${e.reason}`);
    return lines.join('\n') + '\n';
  },
};
