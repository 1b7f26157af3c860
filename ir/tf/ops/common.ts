// Small helpers shared by the op tables.

import type { TensorType } from '../../types.js';
import type { ConstTensor } from '../consts.js';
import { Unsupported, type NodeCtx } from '../registry.js';

export function input(c: NodeCtx, i: number): TensorType {
  const t = c.inputs[i];
  if (!t) throw new Unsupported(`input ${i} has an unknown shape`, 'unknown-shape');
  return t;
}

export function floatInput(c: NodeCtx, i: number): TensorType {
  const t = input(c, i);
  if (t.dtype !== 'float32' && t.dtype !== 'float16' && t.dtype !== 'float64') {
    throw new Unsupported(`dtype ${t.dtype} is not supported`, 'unsupported-dtype');
  }
  return t;
}

export function constIntsOf(c: NodeCtx, i: number): number[] {
  const v = c.constInput(i);
  if (!v) throw new Unsupported(`input ${i} must be a compile-time constant`, 'needs-constant');
  return Array.from(v.data as Iterable<number | bigint>, (x) => Number(x));
}

/** SAME / VALID / EXPLICIT padding of one spatial dimension -> [before, after]. */
export function padding(
  mode: string,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  explicit?: readonly [number, number],
): [number, number] {
  if (mode === 'VALID') return [0, 0];
  if (mode === 'EXPLICIT') {
    if (!explicit) throw new Unsupported('EXPLICIT padding without explicit_paddings');
    return [explicit[0], explicit[1]];
  }
  if (mode !== 'SAME') throw new Unsupported(`padding ${mode} is not supported`);
  const eff = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + eff - size);
  // TensorFlow puts the odd pixel at the end.
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Spatial [h, w] positions of a 4-D data_format. */
export function spatial(format: string): { h: number; w: number; c: number } {
  if (format === 'NHWC') return { h: 1, w: 2, c: 3 };
  if (format === 'NCHW') return { h: 2, w: 3, c: 1 };
  throw new Unsupported(`data_format ${format} is not supported`);
}

/** An axis in [-rank, rank) made non-negative; Unsupported (TF rejects it too) otherwise. */
export function axisIn(axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Unsupported(`${what} ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Every data input's compile-time value, or undefined when one is unknown (fold helpers). */
export function allConst(c: NodeCtx, n: number): ConstTensor[] | undefined {
  const out: ConstTensor[] = [];
  for (let i = 0; i < n; i++) {
    const v = c.constInput(i);
    if (!v) return undefined;
    out.push(v);
  }
  return out;
}
