// rewrite: replaces each built cluster with one TF2TVMBridgeOp node. Names
// users fetch keep working: every member whose outputs are used outside the
// cluster (or which is a graph output) is replaced by an Identity / IdentityN
// of the same name reading the bridge node; a member only used by control
// edges becomes a NoOp of the same name. Constants left without consumers are
// dropped (their values live in the compiled artifacts). Unless fallback is
// off, each bridge node also names its cluster's original subgraph, added to
// the graph's function library (native-function.ts), which its kernel runs
// when no artifact can.

import { makeAttr, makeFunctionLibrary, makeNode, type FunctionDef, type GraphDef, type NodeDef } from '../ir/tf/graphdef/io.js';
import { requiredCpuFeatures } from '../ir/support/cpu-features.js';
import { nativeFunction } from './native-function.js';
import type { Cluster, TypedState } from './state.js';
import { dtypeToTf } from '../ir/tf/dtypes.js';
import { tensorName } from '../ir/tf/graph.js';
import type { TensorType } from '../ir/types.js';
import { errors } from '../ir/support/diagnostics.js';
import { parseInputRef } from '../ir/tf/graphdef/validate.js';

export interface BuiltArtifact {
  /** Path relative to the output folder. */
  readonly path: string;
  readonly sha256: string;
  readonly shapeSet: number;
  /** Tasks per parallel loop at most (the bridge node's artifact_threads); absent: no limit. */
  readonly threads?: number;
}

export interface BuiltCluster {
  readonly cluster: Cluster;
  readonly artifacts: readonly BuiltArtifact[];
}

export interface RewriteOptions {
  readonly tvmVersion: string;
  readonly target: string;
  /** Write each cluster's subgraph as a function the bridge op can fall back to (default true). */
  readonly fallback?: boolean;
  /** Told about each cluster that gets no function, and why. */
  readonly noFunction?: (cluster: string, why: string) => void;
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

function bridgeNode(state: TypedState, built: BuiltCluster, name: string, opts: RewriteOptions, nativeFunc: string | undefined): NodeDef {
  const { cluster, artifacts } = built;
  const typeOf = (set: number, t: { node: string; index: number }): TensorType => {
    const type = state.types[set]!.get(t.node)?.outputs[t.index];
    if (!type) throw errors.internal(`rewrite: no type for ${tensorName(t)}`);
    return type;
  };
  const inputTypes = cluster.inputs.map((t) => typeOf(0, t));
  const outputTypes = cluster.outputs.map((t) => typeOf(0, t));
  const features = requiredCpuFeatures(opts.target);
  // Written only when some artifact has a limit, so other bridge nodes read as before.
  const threads = artifacts.some((a) => a.threads !== undefined) ? artifacts.map((a) => a.threads ?? 0) : undefined;
  // Attribute keys in sorted order, as TensorFlow's deterministic serialisation writes them.
  return makeNode({
    name,
    op: 'TF2TVMBridgeOp',
    input: [...cluster.inputs.map(ref), ...cluster.controlInputs.map((c) => `^${c}`)],
    attr: {
      Tin: makeAttr.listType(inputTypes.map((t) => dtypeToTf(t.dtype))),
      Tout: makeAttr.listType(outputTypes.map((t) => dtypeToTf(t.dtype))),
      artifact_sha256: makeAttr.listS(artifacts.map((a) => a.sha256)),
      ...(threads ? { artifact_threads: makeAttr.listI(threads) } : {}),
      artifacts: makeAttr.listS(artifacts.map((a) => a.path)),
      cluster: makeAttr.s(cluster.name),
      input_shapes: makeAttr.listShape(artifacts.flatMap((a) => cluster.inputs.map((t) => typeOf(a.shapeSet, t).shape))),
      ...(nativeFunc !== undefined ? { native_func: makeAttr.func(nativeFunc) } : {}),
      output_shapes: makeAttr.listShape(artifacts.flatMap((a) => cluster.outputs.map((t) => typeOf(a.shapeSet, t).shape))),
      ...(features.length > 0 ? { required_cpu_features: makeAttr.listS(features) } : {}),
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
  const library = state.graph.library;
  const functionNames = new Set((library?.function ?? []).map((f) => f.signature?.name ?? ''));
  const functions: FunctionDef[] = [];
  for (const b of built) {
    const bridge = uniqueName(`tf2tvm/${b.cluster.name}`, taken);
    let nativeFunc: string | undefined;
    if (opts.fallback !== false) {
      const fname = uniqueName(`tf2tvm_${b.cluster.name.replace(/[^A-Za-z0-9_]/g, '_')}_native`, functionNames);
      const f = nativeFunction(state, b.cluster, fname);
      if (f.ok) {
        functions.push(f.fn);
        nativeFunc = fname;
      } else {
        opts.noFunction?.(b.cluster.name, f.why);
      }
    }
    replacement.set(b.cluster.nodes[0]!, [bridgeNode(state, b, bridge, opts, nativeFunc), ...nameKeepers(state, b.cluster, bridge)]);
    for (const m of [...b.cluster.nodes, ...b.cluster.baked]) removed.add(m);
  }
  const nodes: NodeDef[] = [];
  for (const n of original) {
    const r = replacement.get(n.name);
    if (r) nodes.push(...r);
    else if (!removed.has(n.name)) nodes.push(n);
  }
  const out = { ...state.graph, node: built.length === 0 ? nodes : dropOrphanConstants(nodes, original) };
  if (functions.length === 0) return out;
  const lib = makeFunctionLibrary([...(library?.function ?? []), ...functions]);
  if (library) {
    if (library.gradient.length > 0) lib.gradient = library.gradient;
    if (library.registered_gradients.length > 0) lib.registered_gradients = library.registered_gradients;
  }
  return { ...out, library: lib };
}

/** Drop Const nodes that had consumers before the rewrite and have none now. */
function dropOrphanConstants(nodes: NodeDef[], original: readonly NodeDef[]): NodeDef[] {
  const consts = new Set<string>();
  for (const n of nodes) if (n.op === 'Const') consts.add(n.name);
  if (consts.size === 0) return nodes;
  // Only the constants' names matter.
  const usedBy = (list: readonly NodeDef[]): Set<string> => {
    const used = new Set<string>();
    for (const n of list)
      for (const i of n.input ?? []) {
        const name = parseInputRef(i).node;
        if (consts.has(name)) used.add(name);
      }
    return used;
  };
  const before = usedBy(original);
  const after = usedBy(nodes);
  return nodes.filter((n) => !(n.op === 'Const' && before.has(n.name) && !after.has(n.name)));
}
