// A trous convolutions as TF1 writes them: SpaceToBatchND -> Conv2D or
// DepthwiseConv2dNative -> BatchToSpaceND (tf.nn.atrous_conv2d,
// tf.nn.convolution with dilation_rate, Keras' dilated convs in TF1 graphs).
// encapsulate lowers such a chain, when all three are members of one cluster
// and the two inner tensors are read by nothing else, as the one dilated
// conv2d it computes (atrousConvOp): no padding, transposes and reshapes of
// the batch trick, and TVM sees one convolution. Any other chain is lowered
// op by op, which computes the same.

import type { Cluster, NodeTypes } from './state.js';
import type { GraphView, GNode } from '../ir/tf/graph.js';
import { tensorName } from '../ir/tf/graph.js';
import { constInts } from '../ir/tf/consts.js';
import { atrousConvOp } from '../ir/tf/ops/convolution.js';
import { nodeCtx } from './infer-shapes.js';
import type { Op } from '../ir/ops.js';
import { inferOpType, TypeRuleError } from '../ir/infer.js';
import { sameType, type TensorType } from '../ir/types.js';

function typeOrUndefined(op: Op, args: readonly TensorType[]): TensorType | undefined {
  try {
    return inferOpType(op, args);
  } catch (e) {
    if (e instanceof TypeRuleError) return undefined;
    throw e;
  }
}

/** One chain: the conv node lowers it, as `op` with the SpaceToBatchND input and the conv's filter. */
export interface AtrousChain {
  readonly spaceToBatch: GNode;
  readonly conv: GNode;
  readonly batchToSpace: GNode;
  /** The fused op, its args placeholders [0, 1] (data: SpaceToBatchND's input 0, filter: the conv's input 1). */
  readonly op: Extract<Op, { kind: 'conv2d' }>;
}

function pairs(v: readonly number[]): [number, number][] {
  return Array.from({ length: v.length / 2 }, (_, i) => [v[2 * i]!, v[2 * i + 1]!]);
}

/** The fusable chains of a cluster for one shape set, by conv node name. */
export function atrousChains(view: GraphView, types: ReadonlyMap<string, NodeTypes>, cluster: Cluster): Map<string, AtrousChain> {
  const members = new Set(cluster.nodes);
  const outputs = new Set(cluster.outputs.map(tensorName));
  const out = new Map<string, AtrousChain>();
  /** n's only reader, reading its output 0 as its input 0 (and nothing else of n): a member, not a cluster output. */
  const soleReader = (n: GNode, op: readonly string[]): GNode | undefined => {
    const readers = view.consumers(n.name);
    const r = readers[0];
    if (readers.length !== 1 || !r || !op.includes(r.op) || !members.has(r.name) || outputs.has(`${n.name}:0`)) return undefined;
    if (r.inputs.filter((t) => t.node === n.name).length !== 1 || r.inputs[0]?.node !== n.name || r.inputs[0].index !== 0) return undefined;
    return r;
  };
  for (const name of cluster.nodes) {
    const s2b = view.node(name);
    if (s2b.op !== 'SpaceToBatchND') continue;
    const conv = soleReader(s2b, ['Conv2D', 'DepthwiseConv2dNative']);
    const b2s = conv && soleReader(conv, ['BatchToSpaceND']);
    if (!conv || !b2s) continue;
    const sCtx = nodeCtx(view, types, s2b);
    const bCtx = nodeCtx(view, types, b2s);
    const [block, paddings, blockOut, crops] = [sCtx.constInput(1), sCtx.constInput(2), bCtx.constInput(1), bCtx.constInput(2)];
    const x = sCtx.inputs[0];
    if (!block || !paddings || !blockOut || !crops || !x) continue;
    const b = constInts(block);
    if (b.join() !== constInts(blockOut).join() || constInts(paddings).length !== 2 * b.length || constInts(crops).length !== 2 * b.length) continue;
    const op = atrousConvOp(nodeCtx(view, types, conv), x, b, pairs(constInts(paddings)), pairs(constInts(crops)), [0, 1]);
    const want = types.get(b2s.name)?.outputs[0];
    const filter = types.get(conv.inputs[1]?.node ?? '')?.outputs[conv.inputs[1]?.index ?? 0];
    if (!op || !want || !filter || !sameType(typeOrUndefined(op, [x, filter]) ?? { dtype: 'bool', shape: [] }, want)) continue;
    out.set(conv.name, { spaceToBatch: s2b, conv, batchToSpace: b2s, op });
  }
  return out;
}
