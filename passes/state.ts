// The per-run state the passes hand to each other, one type per stage: each
// pass takes the state the passes before it left and returns it with its own
// part added, so the types say what is there. Nothing here is global.

import type { GraphDef } from '../ir/tf/graphdef/io.js';
import type { IrFunction } from '../ir/function.js';
import type { TensorType } from '../ir/types.js';
import type { ConstTensor } from '../ir/tf/consts.js';
import type { GraphView, TensorRef } from '../ir/tf/graph.js';
import type { ReasonCode } from '../ir/support/reasons.js';

/** One full set of input shapes: placeholder name -> concrete shape. */
export interface ShapeSet {
  readonly key: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

export type Policy = 'compute' | 'all';

export interface ClusterOptions {
  readonly policy: Policy;
  readonly minClusterSize: number;
  readonly maxClusterSize: number;
  readonly excludeOps: readonly string[];
  readonly excludeNodes: readonly string[];
}

/** What infer-shapes knows about one node under one shape set. */
export interface NodeTypes {
  /** Output types; undefined where unknown. */
  readonly outputs: readonly (TensorType | undefined)[];
  /** Compile-time values of the outputs, where known. */
  readonly values?: readonly (ConstTensor | undefined)[];
  /** Why the node's own type rule refused, if it did. */
  readonly refusal?: { readonly reason: ReasonCode; readonly message: string };
}

export type Mark =
  | { readonly ok: true; readonly compute: boolean; readonly effective: boolean }
  | { readonly ok: false; readonly reason: ReasonCode; readonly message: string };

export interface Cluster {
  readonly name: string;
  /** Member node names in topological order. */
  readonly nodes: readonly string[];
  /** Data inputs of the bridge node (tensors produced outside, not compile-time constants). */
  readonly inputs: readonly TensorRef[];
  /** Outputs of the bridge node (tensors of members used outside or fetchable). */
  readonly outputs: readonly TensorRef[];
  /** Nodes outside the cluster that members depend on by control edges. */
  readonly controlInputs: readonly string[];
  /** Outside nodes of constant value read only by members: dropped by the rewrite. */
  readonly baked: readonly string[];
}

export interface UnmergedEdge {
  readonly from: string;
  readonly to: string;
  readonly reason: ReasonCode;
}

export interface ClusterFunction {
  readonly cluster: string;
  readonly shapeSet: number;
  readonly fn: IrFunction;
}

/** Per shape set, node -> output types from TensorFlow's own shape inference. */
export type ShapeHints = readonly ReadonlyMap<string, readonly (TensorType | undefined)[]>[];

/**
 * What the driver hands the pipeline: the graph, the shape sets to compile
 * for, the clustering options, and TensorFlow's shape hints when fetched.
 */
export interface InputState {
  readonly graph: GraphDef;
  /** Fallback types for tensors tf2tvm's own rules leave unknown (backends/tf/shapes.ts). */
  readonly hints?: ShapeHints;
  readonly view: GraphView;
  readonly shapeSets: readonly ShapeSet[];
  readonly options: ClusterOptions;
}

/** After infer-shapes: per shape set, node name -> types. */
export interface TypedState extends InputState {
  readonly types: readonly ReadonlyMap<string, NodeTypes>[];
}

/** After mark-for-compilation: yes or no (with a reason) per node. */
export interface MarkedState extends TypedState {
  readonly marks: ReadonlyMap<string, Mark>;
}

/** After form-clusters. */
export interface ClusteredState extends MarkedState {
  readonly clusters: readonly Cluster[];
  readonly unmergedEdges: readonly UnmergedEdge[];
  /** Nodes that were candidates but ended outside every cluster, with why. */
  readonly dropped: ReadonlyMap<string, { reason: ReasonCode; message: string }>;
}

/** After encapsulate: one IR function per cluster and shape set. */
export interface EncapsulatedState extends ClusteredState {
  readonly functions: readonly ClusterFunction[];
}
