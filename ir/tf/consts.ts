// Compile-time constant tensors: Const nodes and values folded from static
// shapes (Shape, and ops on constants). They feed inputs whose values must be
// known when compiling (shapes, axes, paddings, perms) and become weights.

import type { DType } from '../types.js';
import { errors } from '../support/diagnostics.js';
import { Unsupported } from './registry.js';

export type ConstData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

export interface ConstTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: ConstData;
}

export function constBytes(c: ConstTensor): Uint8Array {
  // Typed arrays are little-endian on every platform tf2tvm runs on (x86_64,
  // aarch64); the weight files and TVM expect little-endian.
  return new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
}

/** Integer contents as numbers (shapes, axes, perms); a value beyond 2^53 refuses the node (Unsupported). */
export function constInts(c: ConstTensor): number[] {
  const out: number[] = [];
  for (const v of c.data as Iterable<number | bigint>) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Unsupported(`the constant ${String(v)} is beyond the integers tf2tvm reads exactly (2^53)`);
    out.push(n);
  }
  return out;
}

export function constNumbers(c: ConstTensor): number[] {
  return Array.from(c.data as Iterable<number | bigint>, (v) => Number(v));
}

export function makeConst(dtype: DType, shape: readonly number[], values: readonly number[]): ConstTensor {
  let data: ConstData;
  switch (dtype) {
    case 'int64':
      data = BigInt64Array.from(values.map((v) => BigInt(v)));
      break;
    case 'int32':
      data = Int32Array.from(values);
      break;
    case 'float64':
      data = Float64Array.from(values);
      break;
    case 'float32':
      data = Float32Array.from(values);
      break;
    case 'int8':
      data = Int8Array.from(values);
      break;
    case 'uint8':
    case 'bool':
      data = Uint8Array.from(values);
      break;
    case 'int16':
      data = Int16Array.from(values);
      break;
    case 'float16':
    case 'bfloat16':
      // Would need a float -> half conversion; nothing folds to float16 or bfloat16.
      throw errors.internal(`makeConst: ${dtype} constants are not built from numbers`);
  }
  return { dtype, shape: [...shape], data };
}

/** Transpose a rank-2 constant ([r, c] -> [c, r]). */
export function transpose2d(c: ConstTensor): ConstTensor {
  const [r, k] = c.shape as [number, number];
  const src = c.data;
  const Ctor = src.constructor as new (n: number) => ConstData;
  const dst = new Ctor(src.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) (dst as Float32Array)[j * r + i] = (src as Float32Array)[i * k + j]!;
  return { dtype: c.dtype, shape: [k, r], data: dst };
}

/** Element access shared by every ConstData kind (bigint for int64, number otherwise). */
type Cells = { [k: number]: number | bigint; readonly length: number };

function emptyLike(c: ConstTensor, n: number): ConstData {
  const Ctor = c.data.constructor as new (n: number) => ConstData;
  return new Ctor(n);
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
}

/**
 * A constant of shape `shape` whose element at multi-index `idx` is the element
 * of `c` at flat offset `src(idx)`. The one loop behind every fold that only
 * moves elements (transpose, slices, concat, stack); constants are small or
 * folded once, so clarity wins over speed.
 */
function gatherConst(c: ConstTensor, shape: readonly number[], src: (idx: readonly number[]) => number): ConstTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const dst = emptyLike(c, n) as unknown as Cells;
  const from = c.data as unknown as Cells;
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    dst[k] = from[src(idx)]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: c.dtype, shape: [...shape], data: dst as unknown as ConstData };
}

/** The same elements under another shape (same element count). */
export function reshapeConst(c: ConstTensor, shape: readonly number[]): ConstTensor {
  return { dtype: c.dtype, shape: [...shape], data: c.data };
}

/** out = transpose(c, perm): out.shape[i] = c.shape[perm[i]]. */
export function transposeConst(c: ConstTensor, perm: readonly number[]): ConstTensor {
  const st = stridesOf(c.shape);
  const shape = perm.map((p) => c.shape[p]!);
  return gatherConst(c, shape, (idx) => idx.reduce((off, v, i) => off + v * st[perm[i]!]!, 0));
}

/** Per-dimension begin/stride slice (absolute indices, as the IR's strided_slice) to `shape`. */
export function sliceConst(c: ConstTensor, begin: readonly number[], strides: readonly number[], shape: readonly number[]): ConstTensor {
  const st = stridesOf(c.shape);
  return gatherConst(c, shape, (idx) => idx.reduce((off, v, i) => off + (begin[i]! + v * strides[i]!) * st[i]!, 0));
}

/** Concatenation along `axis` (non-negative) of constants of one dtype. */
export function concatConsts(cs: readonly ConstTensor[], axis: number): ConstTensor {
  const first = cs[0]!;
  const shape = [...first.shape];
  shape[axis] = cs.reduce((a, t) => a + t.shape[axis]!, 0);
  // Which operand, and where it starts, for each position along the axis.
  const owner: [number, number][] = [];
  cs.forEach((t, j) => {
    for (let k = 0; k < t.shape[axis]!; k++) owner.push([j, k]);
  });
  const parts = cs.map((t) => ({ data: t.data, st: stridesOf(t.shape) }));
  const n = shape.reduce((a, b) => a * b, 1);
  const dst = emptyLike(first, n) as unknown as Cells;
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    const [j, local] = owner[idx[axis]!]!;
    const p = parts[j]!;
    dst[k] = p.data[idx.reduce((off, v, i) => off + (i === axis ? local : v) * p.st[i]!, 0)]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return { dtype: first.dtype, shape, data: dst as unknown as ConstData };
}

/** Stack along a new `axis` (non-negative, at most the operands' rank). */
export function stackConsts(cs: readonly ConstTensor[], axis: number): ConstTensor {
  const expanded = cs.map((t) => {
    const s = [...t.shape];
    s.splice(axis, 0, 1);
    return reshapeConst(t, s);
  });
  return concatConsts(expanded, axis);
}

/** Gather along `axis` of `c` by the (in-range) integer `indices`: c.shape[:axis] + indices.shape + c.shape[axis+1:]. */
export function takeConst(c: ConstTensor, indices: ConstTensor, axis: number): ConstTensor | undefined {
  const idx = constInts(indices);
  const n = c.shape[axis]!;
  if (idx.some((i) => i < 0 || i >= n)) return undefined;
  const shape = [...c.shape.slice(0, axis), ...indices.shape, ...c.shape.slice(axis + 1)];
  const st = stridesOf(c.shape);
  const k = indices.shape.length;
  const ist = stridesOf(indices.shape);
  return gatherConst(c, shape, (o) => {
    let flat = 0;
    for (let j = 0; j < k; j++) flat += o[axis + j]! * ist[j]!;
    let off = idx[flat]! * st[axis]!;
    for (let d = 0; d < axis; d++) off += o[d]! * st[d]!;
    for (let d = axis + 1; d < c.shape.length; d++) off += o[d + k - 1]! * st[d]!;
    return off;
  });
}
