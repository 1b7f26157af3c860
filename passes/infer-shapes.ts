// infer-shapes: static types (and compile-time values) of every tensor, once
// per requested shape set, from the op tables' type rules. Ops without a rule
// get their shapes from a recorded `_output_shapes` attr when it is static, or
// keep the shape of their input when they are known to be shape-preserving.
// Where all that leaves a tensor unknown, TensorFlow's own inference (the
// state's `hints`, when the driver fetched them) fills it in; a refusal stays a
// refusal, but the node's consumers get shapes.

import type { Pass } from './pass-manager.js';
import type { InputState, NodeTypes, ShapeSet, TypedState } from './state.js';
import { Attrs } from '../ir/tf/attrs.js';
import type { ConstTensor } from '../ir/tf/consts.js';
import type { GNode, GraphView } from '../ir/tf/graph.js';
import { OPS } from '../ir/tf/ops/index.js';
import { Unsupported, type NodeCtx } from '../ir/tf/registry.js';
import { formatType, type TensorType } from '../ir/types.js';

/** Ops without a lowering whose single output has the shape and dtype of input 0. */
const SHAPE_PRESERVING = new Set(['Cumsum', 'Cumprod', 'Sign', 'Round', 'Floor', 'Ceil', 'Reciprocal', 'CheckNumerics', 'EnsureShape']);

/**
 * TensorFlow v1 control flow forwards tensors unchanged: shapes pass through
 * (Merge takes its first known input; its second output is the int32 index).
 */
function controlFlowTypes(op: string, inputs: readonly (TensorType | undefined)[]): (TensorType | undefined)[] | undefined {
  const first = inputs[0];
  switch (op) {
    case 'Enter':
    case 'Exit':
    case 'NextIteration':
    case 'LoopCond':
      return [first];
    case 'Switch':
      return [first, first];
    case 'Merge':
      return [inputs.find((t) => t), { dtype: 'int32', shape: [] }];
    default:
      return undefined;
  }
}

export function nodeCtx(view: GraphView, types: ReadonlyMap<string, NodeTypes>, n: GNode): NodeCtx {
  const inputs: (TensorType | undefined)[] = n.inputs.map((t) => types.get(t.node)?.outputs[t.index]);
  return {
    node: n,
    attrs: new Attrs(n.def),
    inputs,
    constInput: (i: number): ConstTensor | undefined => {
      const t = n.inputs[i];
      return t ? types.get(t.node)?.values?.[t.index] : undefined;
    },
    outputUsed: (k: number): boolean => {
      const users = view.consumers(n.name);
      // Same rule as form-clusters' cluster outputs: an unread node is fetchable.
      if (users.length === 0 && view.controlConsumers(n.name).length === 0) return true;
      return users.some((u) => u.inputs.some((t) => t.node === n.name && t.index === k));
    },
  };
}

function placeholderTypes(n: GNode, set: ShapeSet): NodeTypes {
  const attrs = new Attrs(n.def);
  const dtype = attrs.dtype('dtype');
  const shape = set.shapes.get(n.name) ?? attrs.shape('shape');
  if (!dtype || !shape || shape.some((d) => d < 0)) return { outputs: [undefined] };
  return { outputs: [{ dtype, shape }] };
}

function inferNode(view: GraphView, types: ReadonlyMap<string, NodeTypes>, n: GNode, set: ShapeSet): NodeTypes {
  if (n.op === 'Placeholder' || n.op === 'PlaceholderV2') return placeholderTypes(n, set);
  const def = OPS.get(n.op);
  const ctx = nodeCtx(view, types, n);
  if (!def) {
    const flow = controlFlowTypes(n.op, ctx.inputs);
    if (flow) return { outputs: flow };
    const recorded = new Attrs(n.def).shapes('_output_shapes');
    const dtype = ctx.inputs[0]?.dtype;
    if (recorded.length && dtype && recorded.every((s) => s && s.every((d) => d >= 0))) {
      return { outputs: recorded.map((s) => (s ? { dtype, shape: s } : undefined)) };
    }
    if (SHAPE_PRESERVING.has(n.op) && ctx.inputs[0]) return { outputs: [ctx.inputs[0]] };
    return { outputs: [] };
  }
  let typed: NodeTypes;
  try {
    const outputs = def.infer(ctx);
    const values = def.fold?.(ctx);
    typed = values ? { outputs, values } : { outputs };
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return { outputs: [], refusal: { reason: e.reason, message: e.message } };
  }
  // A constraint refusal keeps the types and values: consumers stay typed and
  // constants stay usable; only this node stays in TensorFlow.
  try {
    const why = def.check?.(ctx);
    return why ? { ...typed, refusal: { reason: 'unsupported-variant', message: why } } : typed;
  } catch (e) {
    if (!(e instanceof Unsupported)) throw e;
    return { ...typed, refusal: { reason: e.reason, message: e.message } };
  }
}

function withHints(t: NodeTypes, hint: readonly (TensorType | undefined)[] | undefined): NodeTypes {
  if (!hint || (t.outputs.length === hint.length && t.outputs.every((o) => o))) return t;
  const outputs = hint.map((h, k) => t.outputs[k] ?? h);
  return { ...t, outputs };
}

/** The nodes tf2tvm could compile that read a tensor left without a static type (in some shape set), in order. */
export function gapNodes(state: TypedState): string[] {
  return state.view.nodes
    .filter((n) => OPS.get(n.op)?.lower !== undefined && state.types.some((m) => n.inputs.some((t) => !m.get(t.node)?.outputs[t.index])))
    .map((n) => n.name);
}

export const inferShapesPass: Pass<InputState, TypedState> = {
  name: 'infer-shapes',
  run(state) {
    const types = state.shapeSets.map((set, s) => {
      const m = new Map<string, NodeTypes>();
      const hints = state.hints?.[s];
      for (const n of state.view.nodes) m.set(n.name, withHints(inferNode(state.view, m, n, set), hints?.get(n.name)));
      return m;
    });
    return { ...state, types };
  },
  print(state) {
    const lines: string[] = [];
    state.shapeSets.forEach((set, i) => {
      lines.push(`shape set ${set.key}:`);
      for (const n of state.view.nodes) {
        const t = state.types[i]!.get(n.name)!;
        const outs = t.outputs.length ? t.outputs.map((o) => (o ? formatType(o) : '?')).join(', ') : '?';
        const why = t.refusal ? `  ; ${t.refusal.reason}: ${t.refusal.message}` : '';
        lines.push(`  ${n.name} = ${n.op} : ${outs}${t.values?.some((v) => v) ? ' const' : ''}${why}`);
      }
    });
    return lines.join('\n') + '\n';
  },
};
