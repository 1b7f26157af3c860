// rewrite: replaces each built cluster with one TF2TVMBridgeOp node. Names
// users fetch keep working: every member whose outputs are used outside the
// cluster (or which is a graph output) is replaced by an Identity / IdentityN
// of the same name reading the bridge node; a member only used by control
// edges becomes a NoOp of the same name. Constants left without consumers are
// dropped (their values live in the compiled artifacts).

import { makeAttr, makeNode, type GraphDef, type NodeDef } from '../ir/tf/graphdef/io.js';
import type { Cluster, TypedState } from './state.js';
import { dtypeToTf } from '../ir/tf/dtypes.js';
import { tensorName } from '../ir/tf/graph.js';
import type { TensorType } from '../ir/types.js';
import { errors } from '../ir/support/diagnostics.js';

export interface BuiltArtifact {
  /** Path relative to the output folder. */
  readonly path: string;
  readonly sha256: string;
  readonly shapeSet: number;
}

export interface BuiltCluster {
  readonly cluster: Cluster;
  readonly artifacts: readonly BuiltArtifact[];
}

export interface RewriteOptions {
  readonly tvmVersion: string;
  readonly target: string;
}

function ref(t: { node: string; index: number }): string {
  return t.index === 0 ? t.node : tensorName(t);
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

function bridgeNode(state: TypedState, built: BuiltCluster, name: string, opts: RewriteOptions): NodeDef {
  const { cluster, artifacts } = built;
  const typeOf = (set: number, t: { node: string; index: number }): TensorType => {
    const type = state.types[set]!.get(t.node)?.outputs[t.index];
    if (!type) throw errors.internal(`rewrite: no type for ${tensorName(t)}`);
    return type;
  };
  const inputTypes = cluster.inputs.map((t) => typeOf(0, t));
  const outputTypes = cluster.outputs.map((t) => typeOf(0, t));
  // Attribute keys in sorted order, as TensorFlow's deterministic serialisation writes them.
  return makeNode({
    name,
    op: 'TF2TVMBridgeOp',
    input: [...cluster.inputs.map(ref), ...cluster.controlInputs.map((c) => `^${c}`)],
    attr: {
      Tin: makeAttr.listType(inputTypes.map((t) => dtypeToTf(t.dtype))),
      Tout: makeAttr.listType(outputTypes.map((t) => dtypeToTf(t.dtype))),
      artifact_sha256: makeAttr.listS(artifacts.map((a) => a.sha256)),
      artifacts: makeAttr.listS(artifacts.map((a) => a.path)),
      cluster: makeAttr.s(cluster.name),
      input_shapes: makeAttr.listShape(artifacts.flatMap((a) => cluster.inputs.map((t) => typeOf(a.shapeSet, t).shape))),
      output_shapes: makeAttr.listShape(artifacts.flatMap((a) => cluster.outputs.map((t) => typeOf(a.shapeSet, t).shape))),
      target: makeAttr.s(opts.target),
      tvm_version: makeAttr.s(opts.tvmVersion),
    },
  });
}

/** Nodes named like the members whose outputs or control edges are used outside. */
function nameKeepers(state: TypedState, cluster: Cluster, bridge: string): NodeDef[] {
  const keepers: NodeDef[] = [];
  const inside = new Set(cluster.nodes);
  for (const m of cluster.nodes) {
    const exported = cluster.outputs.map((t, j) => ({ t, j })).filter((o) => o.t.node === m);
    if (exported.length === 1 && exported[0]!.t.index === 0) {
      const { t, j } = exported[0]!;
      const dtype = state.types[0]!.get(t.node)!.outputs[t.index]!.dtype;
      keepers.push(makeNode({ name: m, op: 'Identity', input: [`${bridge}:${j}`], attr: { T: makeAttr.type(dtypeToTf(dtype)) } }));
    } else if (exported.length > 0) {
      const dtypes = exported.map((o) => dtypeToTf(state.types[0]!.get(m)!.outputs[o.t.index]!.dtype));
      keepers.push(makeNode({ name: m, op: 'IdentityN', input: exported.map((o) => `${bridge}:${o.j}`), attr: { T: makeAttr.listType(dtypes) } }));
    } else if (state.view.controlConsumers(m).some((c) => !inside.has(c.name))) {
      keepers.push(makeNode({ name: m, op: 'NoOp', input: [`^${bridge}`] }));
    }
  }
  return keepers;
}

export function rewriteGraph(state: TypedState, built: readonly BuiltCluster[], opts: RewriteOptions): GraphDef {
  const original = state.graph.node ?? [];
  const taken = new Set(original.map((n) => n.name));
  const replacement = new Map<string, NodeDef[]>();
  const removed = new Set<string>();
  for (const b of built) {
    const bridge = uniqueName(`tf2tvm/${b.cluster.name}`, taken);
    replacement.set(b.cluster.nodes[0]!, [bridgeNode(state, b, bridge, opts), ...nameKeepers(state, b.cluster, bridge)]);
    for (const m of [...b.cluster.nodes, ...b.cluster.baked]) removed.add(m);
  }
  const nodes: NodeDef[] = [];
  for (const n of original) {
    const r = replacement.get(n.name);
    if (r) nodes.push(...r);
    else if (!removed.has(n.name)) nodes.push(n);
  }
  return { ...state.graph, node: dropOrphanConstants(nodes, original) };
}

/** Drop Const nodes that had consumers before the rewrite and have none now. */
function dropOrphanConstants(nodes: NodeDef[], original: readonly NodeDef[]): NodeDef[] {
  const usedBy = (list: readonly NodeDef[]): Set<string> => {
    const used = new Set<string>();
    for (const n of list) for (const i of n.input ?? []) used.add(i.replace(/^\^/, '').replace(/:\d+$/, ''));
    return used;
  };
  const before = usedBy(original);
  const after = usedBy(nodes);
  return nodes.filter((n) => !(n.op === 'Const' && before.has(n.name) && !after.has(n.name)));
}
