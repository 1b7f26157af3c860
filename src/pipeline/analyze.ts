// The clustering summary shared by `compile` and `inspect`: counts, clusters
// and a reason for every node left in TensorFlow.

import type { ReasonCode } from '../../ir/support/reasons.js';
import type { State } from '../../passes/state.js';

export interface Unclustered {
  readonly node: string;
  readonly op: string;
  readonly reason: ReasonCode;
  readonly message: string;
}

export interface ClusteringSummary {
  readonly nodes: number;
  readonly clusteredNodes: number;
  readonly unclustered: readonly Unclustered[];
}

/** Why a formed cluster was not kept after all (its build failed, or it measured slower). */
export type RemovedClusters = ReadonlyMap<string, { readonly reason: ReasonCode; readonly message: string }>;

export function summarize(state: State, keptClusters: ReadonlySet<string>, removed: RemovedClusters = new Map()): ClusteringSummary {
  const clusterOf = new Map<string, string>();
  for (const c of state.clusters ?? []) for (const m of c.nodes) clusterOf.set(m, c.name);
  const unclustered: Unclustered[] = [];
  let clustered = 0;
  for (const n of state.view.nodes) {
    const c = clusterOf.get(n.name);
    if (c && keptClusters.has(c)) {
      clustered++;
      continue;
    }
    const gone = c ? removed.get(c) : undefined;
    if (gone) {
      unclustered.push({ node: n.name, op: n.op, reason: gone.reason, message: `cluster ${c}: ${gone.message}` });
      continue;
    }
    const mark = state.marks?.get(n.name);
    const dropped = state.dropped?.get(n.name);
    if (dropped) unclustered.push({ node: n.name, op: n.op, ...dropped });
    else if (mark && !mark.ok) unclustered.push({ node: n.name, op: n.op, reason: mark.reason, message: mark.message });
  }
  return { nodes: state.view.nodes.length, clusteredNodes: clustered, unclustered };
}

export function summaryLine(s: ClusteringSummary, clusters: number): string {
  const pct = s.nodes ? ((100 * s.clusteredNodes) / s.nodes).toFixed(1) : '0.0';
  return `${s.clusteredNodes} of ${s.nodes} nodes (${pct}%) in ${clusters} cluster${clusters === 1 ? '' : 's'}`;
}
