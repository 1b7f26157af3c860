// Small GraphDefs built in code and run through the compile passes (no
// TensorFlow, no TVM): for the op tables' type rules, folds and lowerings.

import { encodeTensor, makeAttr, makeConst, makeGraphDef, makeNode, type AttrValue, type NodeDef } from '../../ir/tf/graphdef/io.js';
import { GraphView } from '../../ir/tf/graph.js';
import { PASS_NAMES, runPipeline } from '../../passes/index.js';
import { PassManager } from '../../passes/pass-manager.js';
import type { EncapsulatedState, Mark, NodeTypes } from '../../passes/state.js';
import { resolveShapeSets } from '../../src/shapes.js';
import type { ConstTensor } from '../../ir/tf/consts.js';
import type { Instr } from '../../ir/function.js';

export const DT = { float: 1, double: 2, int32: 3, uint8: 4, int8: 6, bool: 10, int64: 9 } as const;

/** A graph under construction: placeholders, constants and ops by name. */
export class G {
  private readonly nodes: NodeDef[] = [];

  ph(name: string, shape: readonly number[], dtype: number = DT.float): string {
    this.nodes.push(makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(dtype), shape: makeAttr.shape(shape) } }));
    return name;
  }

  const(name: string, shape: readonly number[], values: readonly number[], dtype: number = DT.float): string {
    const data =
      dtype === DT.int32
        ? Int32Array.from(values)
        : dtype === DT.int64
          ? BigInt64Array.from(values.map((v) => BigInt(v)))
          : dtype === DT.double
            ? Float64Array.from(values)
            : Float32Array.from(values);
    this.nodes.push(makeConst(name, encodeTensor(dtype, shape, data)));
    return name;
  }

  /** A float constant of `shape` with deterministic values (0.1, 0.2, ...). */
  weight(name: string, shape: readonly number[]): string {
    const n = shape.reduce((a, b) => a * b, 1);
    return this.const(
      name,
      shape,
      Array.from({ length: n }, (_, i) => ((i % 7) + 1) / 10),
    );
  }

  op(name: string, op: string, inputs: readonly string[], attr: Record<string, AttrValue> = {}): string {
    this.nodes.push(makeNode({ name, op, input: inputs, attr: { T: makeAttr.type(DT.float), ...attr } }));
    return name;
  }

  /** Runs infer-shapes .. encapsulate with the IR verifier on (policy all unless told). */
  analyze(policy: 'all' | 'compute' = 'all'): Analysis {
    const graph = makeGraphDef({ node: this.nodes });
    const view = new GraphView(graph);
    const state = runPipeline(
      {
        graph,
        view,
        shapeSets: resolveShapeSets(view, []),
        options: { policy, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] },
      },
      new PassManager(PASS_NAMES, { verify: true, printAfter: [], print: () => undefined }),
    );
    return new Analysis(state);
  }
}

export class Analysis {
  constructor(readonly state: EncapsulatedState) {}

  types(name: string): NodeTypes {
    const t = this.state.types[0]!.get(name);
    if (!t) throw new Error(`no types for ${name}`);
    return t;
  }

  shape(name: string, k = 0): readonly number[] | undefined {
    return this.types(name).outputs[k]?.shape;
  }

  value(name: string, k = 0): ConstTensor | undefined {
    return this.types(name).values?.[k];
  }

  /** The node's mark: { ok: true, ... } or its refusal. */
  mark(name: string): Mark {
    return this.state.marks.get(name)!;
  }

  clustered(name: string): boolean {
    return this.state.clusters.some((c) => c.nodes.includes(name));
  }

  /** The IR instructions lowered from `node`, over every function. */
  instrs(node: string): Instr[] {
    return this.state.functions.flatMap((f) => f.fn.body.filter((i) => i.origin === node));
  }

  kinds(node: string): string[] {
    return this.instrs(node).map((i) => ('fn' in i.op ? `${i.op.kind}.${i.op.fn}` : i.op.kind));
  }
}

export const attr = makeAttr;

export function values(c: ConstTensor | undefined): number[] | undefined {
  return c ? Array.from(c.data as Iterable<number | bigint>, (v) => Number(v)) : undefined;
}
