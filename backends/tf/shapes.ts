// TensorFlow's own shape inference as a fallback: when tf2tvm's type rules
// leave some tensors without a static shape (an op it has no rule for, or
// refuses), TensorFlow's rules (which cover every op) usually still know it,
// and consumers downstream can then be compiled. Runs in a TF-only process.

import { execa } from 'execa';
import { findToolchain } from '../python/toolchain.js';
import { dtypeFromTf } from '../../ir/tf/dtypes.js';
import type { TensorType } from '../../ir/types.js';
import { errors } from '../../ir/support/diagnostics.js';
import { projectPath } from '../../ir/support/project.js';

/** One full set of input shapes (placeholder name -> shape), as the passes' ShapeSet. */
export interface InputShapes {
  readonly key: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

/** Per shape set, node -> output types from TensorFlow's own shape inference. */
export type TfShapeHints = readonly ReadonlyMap<string, readonly (TensorType | undefined)[]>[];

export async function tensorflowShapes(model: string, sets: readonly InputShapes[]): Promise<TfShapeHints> {
  const tc = await findToolchain();
  const arg = JSON.stringify(sets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })));
  const script = projectPath('backends', 'tf', 'tf_shapes.py');
  const r = await execa(tc.python, [script, '--model', model, '--shape-sets', arg], { env: tc.env(), reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) {
    throw errors.toolchainFailed(`TensorFlow shape inference (${tc.python} ${script}) exited ${r.exitCode}: ${String(r.stderr).split('\n').slice(-5).join(' ')}`);
  }
  const doc = JSON.parse(String(r.stdout)) as { sets: Record<string, [number, number[] | null][]>[] };
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
