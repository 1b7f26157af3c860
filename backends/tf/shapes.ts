// TensorFlow's own shape inference as a fallback: when tf2tvm's type rules
// leave some tensors without a static shape (an op it has no rule for, or
// refuses), TensorFlow's rules (which cover every op) usually still know it,
// and consumers downstream can then be compiled. Runs in a TF-only process, on
// only the part of the graph the nodes asked about depend on (a function
// library nobody there calls is left out); TensorFlow refusing that graph is
// bad input (errors.tensorflowRefused), not a toolchain failure.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPythonStep } from '../python/step.js';
import { dtypeFromTf } from '../../ir/tf/dtypes.js';
import { encodeGraphDef, type GraphDef } from '../../ir/tf/graphdef/io.js';
import { dependencySubgraph } from '../../ir/tf/graphdef/subgraph.js';
import type { OpRegistry } from '../../ir/tf/op-defs.js';
import { errors } from '../../ir/support/diagnostics.js';
import type { TensorType } from '../../ir/types.js';
import { projectPath } from '../../ir/support/project.js';

/** One full set of input shapes (placeholder name -> shape), as the passes' ShapeSet. */
export interface InputShapes {
  readonly key: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** Per shape set, node -> output types from TensorFlow's own shape inference. */
export type TfShapeHints = readonly ReadonlyMap<string, readonly (TensorType | undefined)[]>[];

/** The longest part of TensorFlow's message kept in errors.tensorflowRefused. */
const MESSAGE_CHARS = 600;

/**
 * TensorFlow's shapes for the nodes `wanted` and everything they depend on
 * (nodes that depend on an op the registry lacks are not asked about).
 */
export async function tensorflowShapes(
  graph: GraphDef,
  sets: readonly InputShapes[],
  wanted: readonly string[],
  registry: OpRegistry,
): Promise<TfShapeHints> {
  const sub = dependencySubgraph(graph, wanted, (op) => registry.ops[op] !== undefined);
  if (sub === null) return sets.map(() => new Map());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-shapes-'));
  let doc: { sets?: Record<string, [number, number[] | null][]>[]; error?: string };
  try {
    const model = path.join(dir, 'graph.pb');
    writeFileSync(model, encodeGraphDef(sub));
    const arg = JSON.stringify(sets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })));
    doc = await runPythonStep<typeof doc>({
      script: projectPath('backends', 'tf', 'tf_shapes.py'),
      args: ['--model', model, '--shape-sets', arg],
      what: 'TensorFlow shape inference',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (doc.error !== undefined) {
    const m = doc.error.trim().replace(/\s+/g, ' ');
    throw errors.tensorflowRefused(m.length > MESSAGE_CHARS ? `${m.slice(0, MESSAGE_CHARS)}...` : m);
  }
  return (doc.sets ?? []).map((set) => {
    const m = new Map<string, (TensorType | undefined)[]>();
    for (const [node, outs] of Object.entries(set)) {
      m.set(
        node,
        outs.map(([dt, shape]) => {
          const dtype = dtypeFromTf(dt);
          return dtype && shape ? { dtype, shape } : undefined;
        }),
      );
    }
    return m;
  });
}
