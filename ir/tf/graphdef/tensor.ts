// TensorProto <-> typed arrays, following TensorFlow's Tensor::FromProto:
// tensor_content, when non-empty, holds the raw little-endian elements;
// otherwise the dtype's *_val field holds them, and a shorter list is padded
// with its last value (so one value fills the whole shape), an empty one with
// zeros.

import { endianness } from 'node:os';
import { TensorProtoType } from './schema.js';
import { makeShape, type Dim } from './build.js';
import { DataType, bigIntToInt64, dtypeName, int64ToBigInt, isKnownDtype, shapeDims, type Int64, type TensorProto } from './types.js';
import { errors } from '../../support/diagnostics.js';

// tensor_content is little-endian; reading it through typed arrays needs a
// little-endian host, which every platform TensorFlow ships for is.
if (endianness() !== 'LE')
  throw errors.unsupportedHost('it is big-endian; TensorFlow tensor contents and .npy weights are read and written little-endian');

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Uint8Array[];

export interface DecodedTensor {
  dtype: number;
  /** Dimensions; a tensor has no unknown ones. */
  shape: number[];
  /**
   * Elements in row-major order. Float32Array for DT_FLOAT, Uint16Array bit
   * patterns for DT_HALF/DT_BFLOAT16 (see halfToFloat), Uint8Array 0/1 for
   * DT_BOOL, interleaved re/im for complex, Uint8Array raw bytes for float8,
   * one Uint8Array per element for DT_STRING.
   */
  data: TensorData;
}

type NumericArray = Exclude<TensorData, Uint8Array[]>;

interface Layout {
  /** Typed array constructor for the elements (complex: for the parts). */
  make: (buffer: ArrayBuffer) => NumericArray;
  alloc: (n: number) => NumericArray;
  /** Array elements per tensor element (2 for complex). */
  parts: number;
  bytes: number;
  /** The *_val field, and how one of its values becomes an array element. */
  field: keyof TensorProto;
  fromVal: (v: unknown) => number | bigint;
  toVal: (v: number | bigint) => unknown;
}

const num = (v: unknown): number => v as number;
const ident = (v: number | bigint): unknown => v;
const i64 = (v: unknown): bigint => int64ToBigInt(v as Int64);

function layout(
  ctor: { new (b: ArrayBuffer): NumericArray; new (n: number): NumericArray; BYTES_PER_ELEMENT: number },
  field: keyof TensorProto,
  parts = 1,
  fromVal: (v: unknown) => number | bigint = num,
  toVal: (v: number | bigint) => unknown = ident,
): Layout {
  return {
    make: (b) => new ctor(b),
    alloc: (n) => new ctor(n),
    parts,
    bytes: ctor.BYTES_PER_ELEMENT * parts,
    field,
    fromVal,
    toVal,
  };
}

const LAYOUTS: ReadonlyMap<number, Layout> = new Map<number, Layout>([
  [DataType.DT_FLOAT, layout(Float32Array, 'float_val')],
  [DataType.DT_DOUBLE, layout(Float64Array, 'double_val')],
  [DataType.DT_INT32, layout(Int32Array, 'int_val')],
  [DataType.DT_QINT32, layout(Int32Array, 'int_val')],
  [DataType.DT_INT16, layout(Int16Array, 'int_val')],
  [DataType.DT_QINT16, layout(Int16Array, 'int_val')],
  [DataType.DT_INT8, layout(Int8Array, 'int_val')],
  [DataType.DT_QINT8, layout(Int8Array, 'int_val')],
  [DataType.DT_UINT8, layout(Uint8Array, 'int_val')],
  [DataType.DT_QUINT8, layout(Uint8Array, 'int_val')],
  [DataType.DT_UINT16, layout(Uint16Array, 'int_val')],
  [DataType.DT_QUINT16, layout(Uint16Array, 'int_val')],
  [DataType.DT_UINT32, layout(Uint32Array, 'uint32_val')],
  [DataType.DT_INT64, layout(BigInt64Array, 'int64_val', 1, i64, (v) => bigIntToInt64(v))],
  [DataType.DT_UINT64, layout(BigUint64Array, 'uint64_val', 1, i64, (v) => bigIntToInt64(v, true))],
  [
    DataType.DT_BOOL,
    layout(
      Uint8Array,
      'bool_val',
      1,
      (v) => (v ? 1 : 0),
      (v) => v !== 0 && v !== 0n,
    ),
  ],
  [DataType.DT_HALF, layout(Uint16Array, 'half_val', 1, (v) => num(v) & 0xffff)],
  [DataType.DT_BFLOAT16, layout(Uint16Array, 'half_val', 1, (v) => num(v) & 0xffff)],
  [DataType.DT_COMPLEX64, layout(Float32Array, 'scomplex_val', 2)],
  [DataType.DT_COMPLEX128, layout(Float64Array, 'dcomplex_val', 2)],
]);

const FLOAT8 = new Set<number>([
  DataType.DT_FLOAT8_E5M2,
  DataType.DT_FLOAT8_E4M3FN,
  DataType.DT_FLOAT8_E4M3FNUZ,
  DataType.DT_FLOAT8_E4M3B11FNUZ,
  DataType.DT_FLOAT8_E5M2FNUZ,
]);

function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n)) throw new RangeError(`tensor of shape [${shape.join(', ')}] is too large`);
  return n;
}

function tensorShape(t: TensorProto): number[] {
  const dims = shapeDims(t.tensor_shape ?? null) ?? [];
  return dims.map((d) => {
    if (d < 0n) throw new RangeError(`tensor shape has an unknown dimension`);
    if (d > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`tensor dimension ${d} is too large`);
    return Number(d);
  });
}

/** A fresh, aligned copy of bytes; typed arrays cannot view unaligned memory. */
function alignedCopy(b: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return copy.buffer;
}

/** TensorFlow's string-list encoding of DT_STRING tensor_content: all varint32 lengths, then all bytes. */
function decodeStringContent(b: Uint8Array, n: number): Uint8Array[] {
  let pos = 0;
  const lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    let len = 0;
    let shift = 0;
    for (;;) {
      if (pos >= b.length || shift > 28) throw new RangeError('bad DT_STRING tensor_content');
      const byte = b[pos++] as number;
      len += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) break;
    }
    lengths.push(len);
  }
  const out: Uint8Array[] = [];
  for (const len of lengths) {
    if (pos + len > b.length) throw new RangeError('bad DT_STRING tensor_content');
    out.push(b.slice(pos, pos + len));
    pos += len;
  }
  if (pos !== b.length) throw new RangeError('bad DT_STRING tensor_content: trailing bytes');
  return out;
}

function fillFromValues<T>(values: readonly T[], n: number, zero: T, what: string): T[] {
  if (values.length > n) throw new RangeError(`${what}: ${values.length} values for ${n} elements`);
  if (values.length === n) return [...values];
  const out = values.slice();
  const pad = values.length === 0 ? zero : (values[values.length - 1] as T);
  while (out.length < n) out.push(pad);
  return out;
}

/**
 * The elements of a TensorProto. Throws RangeError for malformed protos
 * (content of the wrong size, more values than elements, unknown dims) and
 * for dtypes tf2tvm does not read (resource, variant, int4/int2, refs).
 */
export function decodeTensor(t: TensorProto): DecodedTensor {
  const dtype = t.dtype;
  const shape = tensorShape(t);
  const n = elementCount(shape);
  const what = `${dtypeName(dtype)} tensor of shape [${shape.join(', ')}]`;
  const content = t.tensor_content;

  if (dtype === DataType.DT_STRING) {
    const data =
      content.length > 0 ? decodeStringContent(content, n) : fillFromValues(t.string_val, n, new Uint8Array(0), what).map((s) => s.slice());
    return { dtype, shape, data };
  }
  if (FLOAT8.has(dtype)) {
    const src = content.length > 0 ? content : t.float8_val;
    if (content.length > 0 && content.length !== n) {
      throw new RangeError(`${what}: tensor_content has ${content.length} bytes, expected ${n}`);
    }
    const data = Uint8Array.from(fillFromValues(Array.from(src), n, 0, what));
    return { dtype, shape, data };
  }
  const lay = LAYOUTS.get(dtype);
  if (lay === undefined) throw new RangeError(`tf2tvm cannot read ${dtypeName(dtype)} tensors`);

  if (content.length > 0) {
    if (content.length !== n * lay.bytes) {
      throw new RangeError(`${what}: tensor_content has ${content.length} bytes, expected ${n * lay.bytes}`);
    }
    return { dtype, shape, data: lay.make(alignedCopy(content)) };
  }
  const raw = t[lay.field] as readonly unknown[];
  const vals = raw.map(lay.fromVal);
  const data = lay.alloc(n * lay.parts);
  if (lay.parts === 1) {
    const zero = data instanceof BigInt64Array || data instanceof BigUint64Array ? 0n : 0;
    const target = data as unknown as (number | bigint)[];
    fillFromValues(vals, n, zero, what).forEach((v, i) => (target[i] = v));
  } else {
    if (vals.length % 2 !== 0) throw new RangeError(`${what}: odd number of complex parts`);
    const pairs: [number, number][] = [];
    for (let i = 0; i < vals.length; i += 2) pairs.push([vals[i] as number, vals[i + 1] as number]);
    fillFromValues<[number, number]>(pairs, n, [0, 0], what).forEach(([re, im], i) => {
      (data as Float32Array | Float64Array)[2 * i] = re;
      (data as Float32Array | Float64Array)[2 * i + 1] = im;
    });
  }
  return { dtype, shape, data };
}

/** The most bytes a decoded tensor may take: no GraphDef (2 GiB at most) can store more in full. */
export const MAX_TENSOR_BYTES = 2 ** 31 - 1;

/** What is wrong with a TensorProto, as checkTensorProto reports it. */
export interface TensorProblem {
  readonly kind: 'dtype' | 'shape' | 'size' | 'content';
  readonly message: string;
}

/**
 * Why decodeTensor would fail on `t`, or null, without allocating its
 * elements: an unknown dtype, an unknown or overflowing shape, more bytes
 * than MAX_TENSOR_BYTES once expanded, or contents that contradict the shape
 * (a tensor_content of another size, more values than elements). Dtypes
 * tf2tvm does not read (resource, variant, int4) are no problem here: their
 * constants stay in TensorFlow unread.
 */
export function checkTensorProto(t: TensorProto): TensorProblem | null {
  const dtype = t.dtype;
  if (!isKnownDtype(dtype) || dtype === DataType.DT_INVALID) return { kind: 'dtype', message: String(dtype) };
  if (dtype > 100) return { kind: 'content', message: `has the reference dtype ${dtypeName(dtype)}, which no tensor has` };
  const s = t.tensor_shape;
  if (s?.unknown_rank) return { kind: 'shape', message: 'has an unknown rank' };
  let n = 1n;
  for (const d of s?.dim ?? []) {
    const v = int64ToBigInt(d.size);
    if (v < 0n) return { kind: 'shape', message: `has the dimension ${v}; a tensor's dimensions are known` };
    n *= v;
  }
  const dims = (s?.dim ?? []).map((d) => String(int64ToBigInt(d.size))).join(', ');
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) return { kind: 'shape', message: `[${dims}] has more than 2^53 elements` };
  const elements = Number(n);
  const what = `holds a ${dtypeName(dtype)} tensor of shape [${dims}]`;
  const content = t.tensor_content;
  if (dtype === DataType.DT_STRING) {
    if (content.length > 0) {
      try {
        decodeStringContent(content, elements);
      } catch (e) {
        return { kind: 'content', message: `${what} whose tensor_content is not ${elements} strings (${(e as Error).message})` };
      }
    } else if (t.string_val.length > elements) {
      return { kind: 'content', message: `${what} with ${t.string_val.length} values` };
    }
    return null;
  }
  const lay = LAYOUTS.get(dtype);
  const bytes = FLOAT8.has(dtype) ? 1 : lay?.bytes;
  if (bytes === undefined) return null;
  if (elements * bytes > MAX_TENSOR_BYTES) return { kind: 'size', message: String(elements * bytes) };
  if (content.length > 0) {
    if (content.length !== elements * bytes) {
      return { kind: 'content', message: `${what} whose tensor_content has ${content.length} bytes, not ${elements * bytes}` };
    }
    return null;
  }
  const field = FLOAT8.has(dtype) ? 'float8_val' : (lay as Layout).field;
  const parts = lay?.parts ?? 1;
  const count = (t[field] as ArrayLike<unknown>).length;
  if (parts === 2 && count % 2 !== 0) return { kind: 'content', message: `${what} with an odd number (${count}) of complex parts` };
  if (count / parts > elements) return { kind: 'content', message: `${what} with ${count / parts} values` };
  return null;
}

export interface EncodeTensorOptions {
  /**
   * 'content' (default for numbers) writes raw tensor_content, as TensorFlow
   * does for most constants; 'values' writes the dtype's *_val field. DT_STRING
   * always uses string_val.
   */
  form?: 'content' | 'values';
}

/** A TensorProto holding `data` (laid out as decodeTensor returns it). */
export function encodeTensor(
  dtype: number,
  shape: readonly Dim[],
  data: TensorData | readonly (string | Uint8Array)[],
  options: EncodeTensorOptions = {},
): TensorProto {
  const tensorShape = makeShape(shape);
  const dims = shapeDims(tensorShape) ?? [];
  if (dims.some((d) => d < 0n)) throw new RangeError('a tensor cannot have unknown dimensions');
  const n = elementCount(dims.map(Number));
  const props: Record<string, unknown> = { dtype, tensor_shape: tensorShape };
  const what = `${dtypeName(dtype)} tensor of shape [${dims.join(', ')}]`;

  if (dtype === DataType.DT_STRING) {
    if (!Array.isArray(data)) throw new TypeError(`${what}: data must be an array of strings`);
    if (data.length !== n) throw new RangeError(`${what}: got ${data.length} elements`);
    const enc = new TextEncoder();
    props.string_val = (data as readonly (string | Uint8Array)[]).map((s) => {
      const u = typeof s === 'string' ? enc.encode(s) : s;
      return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    });
    return TensorProtoType.create(props) as unknown as TensorProto;
  }
  if (Array.isArray(data)) throw new TypeError(`${what}: data must be a typed array`);
  const arr = data as NumericArray;

  if (FLOAT8.has(dtype)) {
    if (!(arr instanceof Uint8Array)) throw new TypeError(`${what}: data must be a Uint8Array`);
    if (arr.length !== n) throw new RangeError(`${what}: got ${arr.length} elements`);
    if (n > 0) props[options.form === 'values' ? 'float8_val' : 'tensor_content'] = Buffer.from(arr);
    return TensorProtoType.create(props) as unknown as TensorProto;
  }
  const lay = LAYOUTS.get(dtype);
  if (lay === undefined) throw new RangeError(`tf2tvm cannot write ${dtypeName(dtype)} tensors`);
  const expected = lay.alloc(0).constructor;
  if (arr.constructor !== expected) {
    throw new TypeError(`${what}: data must be a ${expected.name}, got ${arr.constructor.name}`);
  }
  if (arr.length !== n * lay.parts) throw new RangeError(`${what}: got ${arr.length / lay.parts} elements`);
  if (n > 0) {
    if (options.form === 'values') {
      props[lay.field] = Array.from(arr as ArrayLike<number | bigint>, lay.toVal);
    } else {
      props.tensor_content = Buffer.from(alignedCopy(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength)));
    }
  }
  return TensorProtoType.create(props) as unknown as TensorProto;
}

// ---------------------------------------------------------------------------
// float16 / bfloat16 bit patterns

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bit patterns to float32 (exact). */
export function halfToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i] as number;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 bit patterns to float32 (exact: bfloat16 is float32's top half). */
export function bfloat16ToFloat(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    u32[0] = (bits[i] as number) << 16;
    out[i] = f32[0] as number;
  }
  return out;
}
