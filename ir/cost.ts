// How much arithmetic an IR function does, roughly: the floating-point (or
// integer) operations of its products, two per multiply-add, and one per
// element everything else reads or writes. Used to tell the artifacts too
// small for a parallel loop to pay (passes/rewrite.ts, --serial-below), not
// to predict a time.

import type { IrFunction } from './function.js';
import type { ValueId } from './ops.js';
import type { TensorType } from './types.js';

function count(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Estimated operations of one run of `fn` (see the file comment). */
export function estimateWork(fn: IrFunction): number {
  const types = new Map<ValueId, TensorType>();
  for (const p of fn.params) types.set(p.id, p.type);
  const shapeOf = (id: ValueId): readonly number[] => types.get(id)?.shape ?? [];
  let work = 0;
  for (const ins of fn.body) {
    types.set(ins.id, ins.type);
    const out = count(ins.type.shape);
    const op = ins.op;
    switch (op.kind) {
      case 'conv2d': {
        // Per output element: kh x kw x (input channels / groups) multiply-adds.
        const data = shapeOf(op.args[0]);
        const w = shapeOf(op.args[1]);
        const channels = (op.dataLayout === 'NHWC' ? data[3] : data[1]) ?? 1;
        work += 2 * out * (w[0] ?? 1) * (w[1] ?? 1) * Math.max(1, channels / op.groups);
        break;
      }
      case 'conv2d_transpose': {
        // Per input element: kh x kw x output channels (filter [kh, kw, out, in]).
        const w = shapeOf(op.args[1]);
        work += 2 * count(shapeOf(op.args[0])) * (w[0] ?? 1) * (w[1] ?? 1) * (w[2] ?? 1);
        break;
      }
      case 'conv3d': {
        const w = shapeOf(op.args[1]);
        work += 2 * out * (w[0] ?? 1) * (w[1] ?? 1) * (w[2] ?? 1) * (w[3] ?? 1);
        break;
      }
      case 'conv3d_transpose': {
        const w = shapeOf(op.args[1]);
        work += 2 * count(shapeOf(op.args[0])) * (w[0] ?? 1) * (w[1] ?? 1) * (w[2] ?? 1) * (w[3] ?? 1);
        break;
      }
      case 'dense': {
        const w = shapeOf(op.args[1]);
        work += 2 * out * (w[1] ?? 1);
        break;
      }
      case 'batch_matmul': {
        const a = shapeOf(op.args[0]);
        work += 2 * out * ((op.transposeA ? a[1] : a[2]) ?? 1);
        break;
      }
      case 'pool2d':
      case 'pool3d':
        work += out * op.size.reduce((x, y) => x * y, 1);
        break;
      default:
        // Elementwise, data movement, reductions: what they read or write.
        work += Math.max(out, ...op.args.map((a) => count(shapeOf(a))));
    }
  }
  return work;
}
