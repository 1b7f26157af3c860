// split: selection below a cluster (--select measured). A cluster TVM runs
// slower than TensorFlow is cut in two at the middle of its compute ops, in
// topological order, and each part becomes a cluster of its own (interface,
// IR functions) to be built and timed as split. Like rewrite, not a pass of
// the pipeline: it runs after the first builds, on the clusters that lost.
//
// Why a cut in topological order is always safe: a cluster has no path that
// leaves it and comes back (form-clusters refuses such contractions), so every
// path between members runs inside it, and none runs from the second part to
// the first. The rewritten graph is checked to stay acyclic anyway.

import type { Cluster, EncapsulatedState } from './state.js';
import { encapsulateClusters } from './encapsulate.js';
import { clusterInterface, rewriteIsAcyclic } from './form-clusters.js';

export interface SplitOutcome {
  /** The state with every split cluster replaced by its parts (in place of it, in order). */
  readonly state: EncapsulatedState;
  /** Split cluster -> its parts' names. */
  readonly parts: ReadonlyMap<string, readonly string[]>;
  /** Clusters that could not be split, with why. */
  readonly kept: ReadonlyMap<string, string>;
}

/** The names of a cluster's parts: `<name>_0` and `<name>_1` (never a name form-clusters gives). */
export function partNames(cluster: string): readonly [string, string] {
  return [`${cluster}_0`, `${cluster}_1`];
}

/** Where to cut: before the compute op that starts the second half, or undefined with one compute op. */
export function cutIndex(state: EncapsulatedState, cluster: Cluster): number | undefined {
  const compute = cluster.nodes.flatMap((n, i) => {
    const m = state.marks.get(n);
    return m?.ok && m.compute ? [i] : [];
  });
  if (compute.length < 2) return undefined;
  return compute[Math.floor(compute.length / 2)]!;
}

/** Whether every output of a node has a compile-time value in every shape set (a weight read, say). */
function isConstant(state: EncapsulatedState, node: string): boolean {
  return state.types.every((m) => {
    const t = m.get(node);
    return t !== undefined && t.outputs.length > 0 && t.outputs.every((_, k) => t.values?.[k] !== undefined);
  });
}

/**
 * The members before `cut` and from it, except that a constant member before
 * the cut whose readers are all after it goes with them: the first part
 * would export a constant for the second to read, which reads it as a weight
 * anyway. Both stay in topological order (a constant reads only constants).
 */
function halves(state: EncapsulatedState, cluster: Cluster, cut: number): [string[], string[]] {
  const second = new Set(cluster.nodes.slice(cut));
  for (let i = cut - 1; i >= 0; i--) {
    const n = cluster.nodes[i]!;
    const readers = state.view.consumers(n);
    if (isConstant(state, n) && readers.length > 0 && readers.every((r) => second.has(r.name))) second.add(n);
  }
  return [cluster.nodes.filter((n) => !second.has(n)), cluster.nodes.filter((n) => second.has(n))];
}

export function splitClusters(state: EncapsulatedState, names: readonly string[]): SplitOutcome {
  const parts = new Map<string, readonly string[]>();
  const kept = new Map<string, string>();
  const taken = new Set(state.clusters.map((c) => c.name));
  const clusters: Cluster[] = [];
  const added: Cluster[] = [];
  for (const c of state.clusters) {
    if (!names.includes(c.name)) {
      clusters.push(c);
      continue;
    }
    const cut = cutIndex(state, c);
    const [a, b] = partNames(c.name);
    if (cut === undefined) {
      kept.set(c.name, 'one compute op: nothing to split');
      clusters.push(c);
    } else if (taken.has(a) || taken.has(b)) {
      kept.set(c.name, `the part names ${a}, ${b} are taken`);
      clusters.push(c);
    } else {
      const [first, second] = halves(state, c, cut);
      const both = [clusterInterface(state, a, first), clusterInterface(state, b, second)];
      clusters.push(...both);
      added.push(...both);
      parts.set(c.name, [a, b]);
    }
  }
  if (
    parts.size > 0 &&
    !rewriteIsAcyclic(
      state,
      clusters.map((c) => c.nodes),
    )
  ) {
    // Unreachable by the argument above; kept as a guard rather than a cycle in the output.
    for (const n of parts.keys()) kept.set(n, 'splitting would make the rewritten graph cyclic');
    return { state, parts: new Map(), kept };
  }
  const gone = new Set(parts.keys());
  const functions = [...state.functions.filter((f) => !gone.has(f.cluster)), ...encapsulateClusters(state, added)];
  return { state: { ...state, clusters, functions }, parts, kept };
}
