// TensorFlow's own shape inference as a fallback: when tf2tvm's type rules
// leave some tensors without a static shape (an op it has no rule for, or
// refuses), TensorFlow's rules (which cover every op) usually still know it,
// and consumers downstream can then be compiled. Runs in a TF-only process.

import { runPythonStep } from '../python/step.js';
import { dtypeFromTf } from '../../ir/tf/dtypes.js';
import type { TensorType } from '../../ir/types.js';
import { projectPath } from '../../ir/support/project.js';

/** One full set of input shapes (placeholder name -> shape), as the passes' ShapeSet. */
export interface InputShapes {
  readonly key: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** Per shape set, node -> output types from TensorFlow's own shape inference. */
export type TfShapeHints = readonly ReadonlyMap<string, readonly (TensorType | undefined)[]>[];

export async function tensorflowShapes(model: string, sets: readonly InputShapes[]): Promise<TfShapeHints> {
  const arg = JSON.stringify(sets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })));
  const doc = await runPythonStep<{ sets: Record<string, [number, number[] | null][]>[] }>({
    script: projectPath('backends', 'tf', 'tf_shapes.py'),
    args: ['--model', model, '--shape-sets', arg],
    what: 'TensorFlow shape inference',
  });
  return doc.sets.map((set) => {
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
