// Small helpers shared by the op tables: typed inputs, the dtype sets the
// tables declare, TensorFlow's window attributes (padding, explicit_paddings,
// per-dimension strides) and the bridge to the IR's own type rules.

import { inferOpType, TypeRuleError, dilatedWindow } from '../../infer.js';
import type { Op } from '../../ops.js';
import { normAxis, type DType, type TensorType } from '../../types.js';
import type { ConstTensor } from '../consts.js';
import { Unsupported, type NodeCtx } from '../registry.js';

/** The float dtypes: what most ops lower (floatInput checks against this list). */
export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'float64'];
/** Float data and the integer dtypes of shape arithmetic (Keras graphs compute shapes in int32/int64). */
export const FLOAT_AND_INDEX_DTYPES: readonly DType[] = [...FLOAT_DTYPES, 'int32', 'int64'];
/** The integer dtypes of the IR. */
export const INT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int32', 'int64'];
/** The float dtypes and bfloat16: the arithmetic ops whose bfloat16 form is lowered (computed in float32, backends/relay/emit.ts). */
export const BF16_FLOAT_DTYPES: readonly DType[] = [...FLOAT_DTYPES, 'bfloat16'];
/** Every integer dtype of the IR, int16 included. */
export const ALL_INT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64'];
/** Every number dtype of the IR. */
export const ALL_NUMBER_DTYPES: readonly DType[] = [...BF16_FLOAT_DTYPES, ...ALL_INT_DTYPES];
/** Every number dtype (no bool). */
export const NUMBER_DTYPES: readonly DType[] = [...FLOAT_DTYPES, ...INT_DTYPES];
/** Every dtype of the IR. */
export const ALL_DTYPES: readonly DType[] = [...NUMBER_DTYPES, 'bool'];
/** Integer index dtypes (gathers, one-hot). */
export const INDEX_DTYPES: readonly DType[] = ['int32', 'int64'];

export function input(c: NodeCtx, i: number): TensorType {
  const t = c.inputs[i];
  if (!t) throw new Unsupported(`input ${i} has an unknown shape`, 'unknown-shape');
  return t;
}

/** Input i, refused (unsupported-dtype) unless its dtype is one of `dtypes`. */
export function inputOf(c: NodeCtx, i: number, dtypes: readonly DType[]): TensorType {
  const t = input(c, i);
  if (!dtypes.includes(t.dtype)) throw new Unsupported(`dtype ${t.dtype} is not supported`, 'unsupported-dtype');
  return t;
}

export function floatInput(c: NodeCtx, i: number): TensorType {
  return inputOf(c, i, FLOAT_DTYPES);
}

export function constIntsOf(c: NodeCtx, i: number): number[] {
  const v = c.constInput(i);
  if (!v) throw new Unsupported(`input ${i} must be a compile-time constant`, 'needs-constant');
  return Array.from(v.data as Iterable<number | bigint>, (x) => Number(x));
}

/**
 * The result type of an IR op by the IR's own type rule (ir/infer.ts), the
 * one the verifier checks the lowering with; an op the rule rejects is a
 * refusal (unsupported-variant). Type rules read operand types only, so the
 * op may carry placeholder value ids.
 */
export function irType(op: Op, args: readonly TensorType[]): TensorType {
  try {
    return inferOpType(op, args);
  } catch (e) {
    if (e instanceof TypeRuleError) throw new Unsupported(e.message);
    throw e;
  }
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
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + dilatedWindow(kernel, dilation) - size);
  // TensorFlow puts the odd pixel at the end.
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export type DataFormat = 'NHWC' | 'NCHW';

/** Spatial [h, w] and channel positions of a 4-D data_format. */
export function spatial(format: string): { h: number; w: number; c: number } {
  if (format === 'NHWC') return { h: 1, w: 2, c: 3 };
  if (format === 'NCHW') return { h: 2, w: 3, c: 1 };
  throw new Unsupported(`data_format ${format} is not supported`);
}

/** The node's data_format attr (default NHWC), refused unless NHWC or NCHW. */
export function dataFormat(c: NodeCtx): DataFormat {
  const format = c.attrs.str('data_format', 'NHWC');
  spatial(format);
  return format as DataFormat;
}

/**
 * The [h, w] entries of a per-dimension window attr (strides, dilations,
 * ksize) in `format`; refused unless it has 4 entries with 1 on batch and channel.
 */
export function spatialPair(v: readonly number[], format: DataFormat, what: string): [number, number] {
  const { h, w, c } = spatial(format);
  if (v.length !== 4) throw new Unsupported(`${what} must have 4 entries`);
  if (v[0] !== 1 || v[c] !== 1) throw new Unsupported(`${what} on the batch or channel dimension`);
  return [v[h]!, v[w]!];
}

/**
 * IR pads [top, left, bottom, right] of a 2-D window over input x from the
 * node's `padding` attr (SAME, VALID, EXPLICIT with `explicit_paddings`, one
 * [before, after] pair per dimension of the data format).
 */
export function windowPads(
  c: NodeCtx,
  x: TensorType,
  format: DataFormat,
  window: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number] = [1, 1],
): [number, number, number, number] {
  const { h, w } = spatial(format);
  const mode = c.attrs.str('padding');
  const ex = c.attrs.has('explicit_paddings') ? c.attrs.ints('explicit_paddings') : [];
  const exAt = (dim: number): [number, number] | undefined => (ex.length === 8 ? [ex[2 * dim]!, ex[2 * dim + 1]!] : undefined);
  const ph = padding(mode, x.shape[h]!, window[0], strides[0], dilations[0], exAt(h));
  const pw = padding(mode, x.shape[w]!, window[1], strides[1], dilations[1], exAt(w));
  return [ph[0], pw[0], ph[1], pw[1]];
}

/**
 * The [d, h, w] entries of a 5-entry NDHWC window attr, refused unless batch
 * and channel are 1; and the [front, top, left, back, bottom, right] pads of
 * SAME / VALID over data x.
 */
export function window3d(
  c: NodeCtx,
  x: TensorType,
  window: readonly number[],
  strides: readonly number[],
  dilations: readonly number[] = [1, 1, 1],
): [number, number, number, number, number, number] {
  const mode = c.attrs.str('padding');
  if (mode !== 'SAME' && mode !== 'VALID') throw new Unsupported(`padding ${mode} is not supported`);
  const p = [0, 1, 2].map((i) => padding(mode, x.shape[i + 1]!, window[i]!, strides[i]!, dilations[i]!));
  return [p[0]![0], p[1]![0], p[2]![0], p[0]![1], p[1]![1], p[2]![1]];
}

/** An NDHWC per-dimension attr's [d, h, w], refused unless it has 5 entries with 1 on batch and channel. */
export function spatialTriple(c: NodeCtx, v: readonly number[], what: string): [number, number, number] {
  if (c.attrs.str('data_format', 'NDHWC') !== 'NDHWC') throw new Unsupported('data_format other than NDHWC');
  if (v.length !== 5 || v[0] !== 1 || v[4] !== 1) throw new Unsupported(`${what} must have 5 entries with 1 on batch and channel`);
  return [v[1]!, v[2]!, v[3]!];
}

/** An axis in [-rank, rank) made non-negative; Unsupported (TF rejects it too) otherwise. */
export function axisIn(axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new Unsupported(`${what} ${axis} is out of range for rank ${rank}`);
  }
  return normAxis(axis, rank);
}

/** One integer from a compile-time scalar (or one-element) input. */
export function constScalarOf(c: NodeCtx, i: number, what: string): number {
  const v = constIntsOf(c, i);
  if (v.length !== 1) throw new Unsupported(`${what} must be a scalar`);
  return v[0]!;
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
