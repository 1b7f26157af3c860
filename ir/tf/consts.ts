// Compile-time constant tensors: Const nodes and values folded from static
// shapes (Shape, and ops on constants). They feed inputs whose values must be
// known when compiling (shapes, axes, paddings, perms) and become weights.

import type { DType } from '../types.js';

export type ConstData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;

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

/** Integer contents as numbers (shapes, axes, perms); throws on values beyond 2^53. */
export function constInts(c: ConstTensor): number[] {
  const out: number[] = [];
  for (const v of c.data as Iterable<number | bigint>) {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new Error(`constant ${String(v)} is not a safe integer`);
    out.push(n);
  }
  return out;
}

export function constNumbers(c: ConstTensor): number[] {
  return Array.from(c.data as Iterable<number | bigint>, (v) => Number(v));
}

export function makeConst(dtype: DType, shape: readonly number[], values: readonly number[]): ConstTensor {
  const data =
    dtype === 'int64'
      ? BigInt64Array.from(values.map((v) => BigInt(v)))
      : dtype === 'int32'
        ? Int32Array.from(values)
        : dtype === 'float64'
          ? Float64Array.from(values)
          : Float32Array.from(values);
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
