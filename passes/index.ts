// The compilation pipeline, in order: each pass takes the state the one before
// it returned (passes/state.ts says what each adds), so the order is fixed by
// the types. `rewrite` (passes/rewrite.ts) is not a pass: it runs after the TVM
// builds, on the clusters that built, and returns the GraphDef to write.

import type { PassManager } from './pass-manager.js';
import { encapsulatePass } from './encapsulate.js';
import { formClustersPass } from './form-clusters.js';
import { gapNodes, inferShapesPass } from './infer-shapes.js';
import { markForCompilationPass } from './mark-for-compilation.js';
import type { EncapsulatedState, InputState, ShapeHints, ShapeSet, TypedState } from './state.js';

export const PIPELINE = [
  inferShapesPass, // static shapes and compile-time values per shape set
  markForCompilationPass, // which nodes TVM may take, and why not
  formClustersPass, // cycle-safe contraction into clusters, policy and size limits
  encapsulatePass, // each cluster -> one IR function per shape set
] as const;

export const PASS_NAMES: readonly string[] = PIPELINE.map((p) => p.name);

/**
 * TensorFlow's own shape inference, asked only when tf2tvm's rules leave a
 * gap, about the nodes that read the gap (and so what they depend on).
 */
export type HintSource = (sets: readonly ShapeSet[], wanted: readonly string[]) => Promise<ShapeHints>;

/**
 * infer-shapes. When a node tf2tvm could compile reads a tensor its own rules
 * leave untyped, `hints` is asked once and types are inferred again with them;
 * otherwise infer-shapes runs once.
 */
export async function inferTypes(input: InputState, pm: PassManager, hints?: HintSource): Promise<TypedState> {
  const first = inferShapesPass.run(input);
  const wanted = hints ? gapNodes(first) : [];
  if (!hints || wanted.length === 0) return pm.after(inferShapesPass, first);
  return pm.run(inferShapesPass, { ...input, hints: await hints(input.shapeSets, wanted) });
}

/** mark-for-compilation .. encapsulate, on typed state. */
export function clusterTyped(typed: TypedState, pm: PassManager): EncapsulatedState {
  return pm.run(encapsulatePass, pm.run(formClustersPass, pm.run(markForCompilationPass, typed)));
}

/** The whole pipeline without TensorFlow's hints (tests, and graphs fully typed by tf2tvm). */
export function runPipeline(input: InputState, pm: PassManager): EncapsulatedState {
  return clusterTyped(pm.run(inferShapesPass, input), pm);
}
