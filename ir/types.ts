// Static types of the mid-level IR. Every value has a dtype and a fully known
// shape: a function is compiled for one concrete set of input shapes.

export const DTYPES = ['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64', 'bool'] as const;
export type DType = (typeof DTYPES)[number];

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && sameShape(a.shape, b.shape);
}

/** `f32[1,28,28,1]`: the one spelling of a type, used by the printer and in messages. */
export function formatType(t: TensorType): string {
  return `${DTYPE_SHORT[t.dtype]}[${t.shape.join(',')}]`;
}

const DTYPE_SHORT: Record<DType, string> = {
  float32: 'f32',
  float16: 'f16',
  bfloat16: 'bf16',
  float64: 'f64',
  int8: 'i8',
  uint8: 'u8',
  int16: 'i16',
  int32: 'i32',
  int64: 'i64',
  bool: 'bool',
};

/** float16 and bfloat16: constant data holds their bit patterns (Uint16Array), not numbers. */
export function isHalf(d: DType): boolean {
  return d === 'float16' || d === 'bfloat16';
}

export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float16' || d === 'bfloat16' || d === 'float64';
}

/** NumPy-style broadcasting of two shapes; undefined when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** An axis in [-rank, rank) made non-negative (no range check: callers that take user input check first). */
export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
