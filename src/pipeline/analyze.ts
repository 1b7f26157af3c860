// The analyze stage shared by `compile` and `inspect`: read and validate the
// GraphDef, resolve the shape sets, run the passes (asking TensorFlow for
// shapes only where tf2tvm's own rules leave a gap); and the clustering
// summary: counts, clusters and a reason for every node left in TensorFlow.

import { opRegistry } from '../../backends/tf/op-registry.js';
import { tensorflowShapes } from '../../backends/tf/shapes.js';
import { checkGraphContents } from '../../ir/tf/graphdef/check.js';
import { readGraphDef, type GraphDef } from '../../ir/tf/graphdef/io.js';
import { validateGraph } from '../../ir/tf/graphdef/validate.js';
import { checkOpDefs } from '../../ir/tf/op-defs.js';
import { GraphView } from '../../ir/tf/graph.js';
import type { ReasonCode } from '../../ir/support/reasons.js';
import { PASS_NAMES, clusterTyped, inferTypes } from '../../passes/index.js';
import { PassManager } from '../../passes/pass-manager.js';
import type { ClusterOptions, ClusteredState, EncapsulatedState } from '../../passes/state.js';
import { resolveShapeSets, type ShapeRequest } from '../shapes.js';
import { readShapeLog, shapeSetsFromLog } from '../shape-log.js';

export interface AnalyzeOptions {
  readonly printAfter: readonly string[];
  readonly verifyIr: boolean;
  readonly print: (pass: string, text: string) => void;
  /** --shapes-from: a shape log (TF2TVM_SHAPE_LOG) whose shapes are compiled too. */
  readonly shapesFrom?: string;
}

/**
 * Every check of the input before a pass reads it: structure (names, inputs,
 * cycles), contents (dtypes, shapes, tensors, the function library), then
 * each node against TensorFlow's definition of its op. Throws the first
 * problem, a bad-input diagnostic.
 */
export async function checkGraph(graph: GraphDef): Promise<void> {
  validateGraph(graph);
  checkGraphContents(graph);
  checkOpDefs(graph, await opRegistry());
}

/** Read, validate, run the passes: the state every later stage reads. */
export async function analyzeModel(model: string, shapes: ShapeRequest, cluster: ClusterOptions, opts: AnalyzeOptions): Promise<EncapsulatedState> {
  const graph = await readGraphDef(model);
  await checkGraph(graph);
  const registry = await opRegistry();
  const view = new GraphView(graph);
  const run = async (shapeSets: ReturnType<typeof resolveShapeSets>, printing: boolean): Promise<EncapsulatedState> => {
    const pm = new PassManager(PASS_NAMES, { verify: opts.verifyIr, printAfter: printing ? opts.printAfter : [], print: opts.print });
    const typed = await inferTypes({ graph, view, shapeSets, options: cluster }, pm, (sets, wanted) =>
      tensorflowShapes(graph, sets, wanted, registry),
    );
    return clusterTyped(typed, pm);
  };
  if (opts.shapesFrom === undefined) return run(resolveShapeSets(view, shapes), true);
  // The log names clusters and their inputs: a first analysis (at the given
  // shapes, else at batch 1) finds which placeholders those inputs are.
  const records = readShapeLog(opts.shapesFrom);
  const given = Array.isArray(shapes) ? shapes.length > 0 : true;
  const probe = await run(resolveShapeSets(view, given ? shapes : { batch: [1] }), false);
  const extra = shapeSetsFromLog(view, probe.clusters, records);
  if (given && extra.length === 0) return run(resolveShapeSets(view, shapes), true);
  return run(resolveShapeSets(view, shapes, extra), true);
}

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

export function summarize(state: ClusteredState, keptClusters: ReadonlySet<string>, removed: RemovedClusters = new Map()): ClusteringSummary {
  const clusterOf = new Map<string, string>();
  for (const c of state.clusters) for (const m of c.nodes) clusterOf.set(m, c.name);
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
    const mark = state.marks.get(n.name);
    const dropped = state.dropped.get(n.name);
    if (dropped) unclustered.push({ node: n.name, op: n.op, ...dropped });
    else if (mark && !mark.ok) unclustered.push({ node: n.name, op: n.op, reason: mark.reason, message: mark.message });
  }
  return { nodes: state.view.nodes.length, clusteredNodes: clustered, unclustered };
}

/** Nodes by kind: constants and graph inputs (never clustered) apart from the compute nodes. */
export interface NodeCounts {
  readonly computeNodes: number;
  readonly constants: number;
  readonly inputs: number;
}

export function nodeCounts(s: ClusteringSummary): NodeCounts {
  const constants = s.unclustered.filter((u) => u.reason === 'constant').length;
  const inputs = s.unclustered.filter((u) => u.reason === 'graph-input').length;
  return { computeNodes: s.nodes - constants - inputs, constants, inputs };
}

/** The node counts of the summary line, as --json spells them. */
export function countsJson(s: ClusteringSummary): { compute_nodes: number; constants: number; inputs: number } {
  const c = nodeCounts(s);
  return { compute_nodes: c.computeNodes, constants: c.constants, inputs: c.inputs };
}

/**
 * "16 of 16 compute nodes (100.0%) in 1 cluster; 7 constants and 1 input
 * apart": the share counts compute nodes only, since constants (weights
 * that reach clusters as parameters) and graph inputs never join one.
 */
export function summaryLine(s: ClusteringSummary, clusters: number): string {
  const c = nodeCounts(s);
  const pct = c.computeNodes ? ((100 * s.clusteredNodes) / c.computeNodes).toFixed(1) : '0.0';
  const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  return (
    `${s.clusteredNodes} of ${plural(c.computeNodes, 'compute node', 'compute nodes')} (${pct}%) in ${plural(clusters, 'cluster', 'clusters')}; ` +
    `${plural(c.constants, 'constant', 'constants')} and ${plural(c.inputs, 'input', 'inputs')} apart`
  );
}
