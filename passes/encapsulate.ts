// encapsulate: each cluster becomes one IR function per shape set. Bridge
// inputs become parameters in0..inN-1; tensors with compile-time values
// (constants) become weight parameters w0..; members are lowered in
// topological order through the op tables.

import type { Pass } from './pass-manager.js';
import type { Cluster, ClusterFunction, ClusteredState, EncapsulatedState, NodeTypes, TypedState } from './state.js';
import { FunctionBuilder, type IrFunction } from '../ir/function.js';
import type { ValueId } from '../ir/ops.js';
import { printFunction } from '../ir/printer.js';
import { verifyFunction } from '../ir/verify.js';
import { constBytes, type ConstTensor } from '../ir/tf/consts.js';
import { tensorName } from '../ir/tf/graph.js';
import { OPS } from '../ir/tf/ops/index.js';
import type { LowerCtx } from '../ir/tf/registry.js';
import { nodeCtx } from './infer-shapes.js';
import { atrousChains } from './atrous.js';
import { errors } from '../ir/support/diagnostics.js';

function lowerCluster(state: TypedState, cluster: Cluster, setIndex: number): IrFunction {
  const types: ReadonlyMap<string, NodeTypes> = state.types[setIndex]!;
  const b = new FunctionBuilder(cluster.name);
  const values = new Map<string, ValueId>();
  cluster.inputs.forEach((t, j) => {
    const type = types.get(t.node)?.outputs[t.index];
    if (!type) throw errors.internal(`cluster input ${tensorName(t)} has no type`);
    values.set(tensorName(t), b.input(`in${j}`, type, tensorName(t)));
  });
  let weights = 0;
  const addWeight = (c: ConstTensor, source: string): ValueId =>
    b.weight(`w${weights++}`, { type: { dtype: c.dtype, shape: c.shape }, bytes: constBytes(c) }, source);

  const constOutput = (t: { node: string; index: number }): ConstTensor | undefined => types.get(t.node)?.values?.[t.index];
  // SpaceToBatchND -> conv -> BatchToSpaceND chains: the conv lowers the three as one dilated conv2d.
  const chains = atrousChains(state.view, types, cluster);
  const fused = new Set([...chains.values()].flatMap((ch) => [ch.spaceToBatch.name, ch.batchToSpace.name]));
  for (const name of cluster.nodes) {
    if (fused.has(name)) continue;
    const node = state.view.node(name);
    // A member whose every output is a compile-time constant (an Identity of a
    // weight, say) needs no code: its consumers read the constant directly, in
    // whatever form they need it (MatMul takes its weight transposed).
    const outs = types.get(name)!.outputs;
    if (outs.length > 0 && outs.every((_, k) => constOutput({ node: name, index: k }))) continue;
    const def = OPS.get(node.op);
    if (!def?.lower) throw errors.internal(`cluster member ${name} (${node.op}) has no lowering`);
    const base = nodeCtx(state.view, types, node);
    const ctx: LowerCtx = {
      ...base,
      b,
      outputs: types.get(name)!.outputs.map((t) => t!),
      value(i) {
        const t = node.inputs[i];
        if (!t) throw errors.internal(`${name} has no input ${i}`);
        const key = tensorName(t);
        const known = values.get(key);
        if (known !== undefined) return known;
        const c = base.constInput(i);
        if (!c) throw errors.internal(`${name} reads ${key}, which is neither in the cluster, an input, nor constant`);
        const id = addWeight(c, key);
        values.set(key, id);
        return id;
      },
      weight: (c, hint) => addWeight(c, `${name}/${hint}`),
      emit: (op, type) => b.emit(op, type, name),
    };
    const chain = chains.get(name);
    if (chain) {
      const data = chain.spaceToBatch.inputs[0]!;
      const key = tensorName(data);
      let x = values.get(key);
      if (x === undefined) {
        const c = constOutput(data);
        if (!c) throw errors.internal(`${chain.spaceToBatch.name} reads ${key}, which is neither in the cluster, an input, nor constant`);
        x = addWeight(c, key);
        values.set(key, x);
      }
      const out = types.get(chain.batchToSpace.name)!.outputs[0]!;
      values.set(`${chain.batchToSpace.name}:0`, ctx.emit({ ...chain.op, args: [x, ctx.value(1)] }, out));
      continue;
    }
    def.lower(ctx).forEach((v, k) => values.set(`${name}:${k}`, v));
  }
  const results = cluster.outputs.map((t) => {
    const key = tensorName(t);
    const c = constOutput(t);
    if (!values.has(key) && c) values.set(key, addWeight(c, key));
    const v = values.get(key);
    if (v === undefined) throw errors.internal(`cluster output ${tensorName(t)} was not lowered`);
    return v;
  });
  return b.finish(results);
}

/** The IR functions of `clusters`, one per shape set, in cluster order. */
export function encapsulateClusters(state: TypedState, clusters: readonly Cluster[]): ClusterFunction[] {
  return clusters.flatMap((c) => state.shapeSets.map((_, s) => ({ cluster: c.name, shapeSet: s, fn: lowerCluster(state, c, s) })));
}

export const encapsulatePass: Pass<ClusteredState, EncapsulatedState> = {
  name: 'encapsulate',
  run: (state) => ({ ...state, functions: encapsulateClusters(state, state.clusters) }),
  verify: (state) => state.functions.flatMap((f) => verifyFunction(f.fn).map((p) => `${f.cluster} (shape set ${f.shapeSet}): ${p}`)),
  print: (state) => state.functions.map((f) => `; shape set ${state.shapeSets[f.shapeSet]!.key}\n${printFunction(f.fn)}`).join('\n'),
};
