// TypeScript views of the message objects protobufjs decodes with our schema
// (schema.ts). Field names are TensorFlow's own (snake_case).
//
// How decoded objects behave, and so how these types read:
// - A scalar that was absent reads as its proto3 default ('' / 0 / false /
//   Long 0 / empty bytes) from the prototype; it is not an own property.
// - An absent sub-message reads as null.
// - Repeated fields are always arrays and maps always plain objects.
// - An unset member of a oneof (AttrValue's kinds, FullTypeDef.s/i) reads as
//   undefined; see attrKind() in build.ts.
// - int64/uint64/fixed64 values are long.js Long objects (see Int64).
// - bytes are Node Buffers that may share memory with the decoded input.
// Only own properties are written back, so build new messages with the
// make* helpers of build.ts rather than with object literals.

import protobuf from 'protobufjs';

/**
 * A 64-bit integer as protobufjs gives it: a long.js Long (two 32-bit halves).
 * Never read it through Number(): use int64ToBigInt or int64ToNumber.
 */
export interface Int64 {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}

export interface VersionDef {
  producer: number;
  min_consumer: number;
  bad_consumers: number[];
}

export interface TensorShapeDim {
  /** -1 for an unknown dimension. */
  size: Int64;
  name: string;
}

export interface TensorShapeProto {
  dim: TensorShapeDim[];
  unknown_rank: boolean;
}

export interface DtypeAndShape {
  dtype: number;
  shape?: TensorShapeProto | null;
}

export interface ResourceHandleProto {
  device: string;
  container: string;
  name: string;
  hash_code: Int64;
  maybe_type_name: string;
  dtypes_and_shapes: DtypeAndShape[];
}

export interface VariantTensorDataProto {
  type_name: string;
  metadata: Uint8Array;
  tensors: TensorProto[];
}

export interface TensorProto {
  /** A DataType value. */
  dtype: number;
  tensor_shape?: TensorShapeProto | null;
  version_number: number;
  tensor_content: Uint8Array;
  float_val: number[];
  double_val: number[];
  int_val: number[];
  string_val: Uint8Array[];
  scomplex_val: number[];
  int64_val: Int64[];
  bool_val: boolean[];
  dcomplex_val: number[];
  /** DT_HALF and DT_BFLOAT16 bit patterns, one per int32. */
  half_val: number[];
  resource_handle_val: ResourceHandleProto[];
  variant_val: VariantTensorDataProto[];
  uint32_val: number[];
  uint64_val: Int64[];
  float8_val: Uint8Array;
}

export interface ListValue {
  s: Uint8Array[];
  i: Int64[];
  f: number[];
  b: boolean[];
  type: number[];
  shape: TensorShapeProto[];
  tensor: TensorProto[];
  func: NameAttrList[];
}

/** Exactly one kind is set; which one attrKind() tells. */
export interface AttrValue {
  list?: ListValue;
  s?: Uint8Array;
  i?: Int64;
  f?: number;
  b?: boolean;
  /** A DataType value. */
  type?: number;
  shape?: TensorShapeProto;
  tensor?: TensorProto;
  placeholder?: string;
  func?: NameAttrList;
}

export type AttrKind = keyof AttrValue;

export interface NameAttrList {
  name: string;
  attr: Record<string, AttrValue>;
}

export interface FullTypeDef {
  /** A FullTypeId value. */
  type_id: number;
  args: FullTypeDef[];
  s?: string;
  i?: Int64;
}

export interface ExperimentalDebugInfo {
  original_node_names: string[];
  original_func_names: string[];
}

export interface NodeDef {
  name: string;
  op: string;
  /** "node", "node:3" or "^node" (control dependency); see parseInputRef. */
  input: string[];
  device: string;
  attr: Record<string, AttrValue>;
  experimental_debug_info?: ExperimentalDebugInfo | null;
  experimental_type?: FullTypeDef | null;
}

export interface ArgDef {
  name: string;
  description: string;
  type: number;
  type_attr: string;
  number_attr: string;
  type_list_attr: string;
  handle_data: DtypeAndShape[];
  is_ref: boolean;
  experimental_full_type?: FullTypeDef | null;
}

export interface AttrDef {
  name: string;
  type: string;
  default_value?: AttrValue | null;
  description: string;
  has_minimum: boolean;
  minimum: Int64;
  allowed_values?: AttrValue | null;
}

export interface OpDeprecation {
  version: number;
  explanation: string;
}

export interface OpDef {
  name: string;
  input_arg: ArgDef[];
  output_arg: ArgDef[];
  control_output: string[];
  attr: AttrDef[];
  deprecation?: OpDeprecation | null;
  summary: string;
  description: string;
  is_commutative: boolean;
  is_aggregate: boolean;
  is_stateful: boolean;
  allows_uninitialized_input: boolean;
  is_distributed_communication: boolean;
}

/** One entry of a map field that our schema spells as a list (see schema.ts). */
export interface MapEntry<K, V> {
  key: K;
  value?: V | null;
}

export interface ArgAttrs {
  attr: Record<string, AttrValue>;
}

export interface FunctionDef {
  signature?: OpDef | null;
  attr: Record<string, AttrValue>;
  /** map<uint32, ArgAttrs> in TensorFlow, kept in wire order. */
  arg_attr: MapEntry<number, ArgAttrs>[];
  /** map<uint32, uint32> in TensorFlow, kept in wire order. */
  resource_arg_unique_id: MapEntry<number, number>[];
  node_def: NodeDef[];
  ret: Record<string, string>;
  control_ret: Record<string, string>;
}

export interface GradientDef {
  function_name: string;
  gradient_func: string;
}

export interface RegisteredGradient {
  gradient_func: string;
  registered_op_type: string;
}

export interface FunctionDefLibrary {
  function: FunctionDef[];
  gradient: GradientDef[];
  registered_gradients: RegisteredGradient[];
}

export interface FileLineCol {
  file_index: number;
  line: number;
  col: number;
  func: string;
  code: string;
}

export interface StackTrace {
  file_line_cols: FileLineCol[];
  frame_id: Int64[];
}

export interface GraphDebugInfo {
  files: string[];
  /** TensorFlow's map fields, kept as wire-order entry lists (see schema.ts). */
  traces: MapEntry<string, StackTrace>[];
  frames_by_id: MapEntry<Int64, FileLineCol>[];
  name_to_trace_id: MapEntry<string, Int64>[];
  traces_by_id: MapEntry<Int64, StackTrace>[];
}

export interface GraphDef {
  node: NodeDef[];
  library?: FunctionDefLibrary | null;
  /** Deprecated by TensorFlow in favour of versions; kept for round trips. */
  version: number;
  versions?: VersionDef | null;
  debug_info?: GraphDebugInfo | null;
}

// ---------------------------------------------------------------------------
// DataType

/** TensorFlow's DataType enum (types.proto): names to numbers. */
export const DataType = {
  DT_INVALID: 0,
  DT_FLOAT: 1,
  DT_DOUBLE: 2,
  DT_INT32: 3,
  DT_UINT8: 4,
  DT_INT16: 5,
  DT_INT8: 6,
  DT_STRING: 7,
  DT_COMPLEX64: 8,
  DT_INT64: 9,
  DT_BOOL: 10,
  DT_QINT8: 11,
  DT_QUINT8: 12,
  DT_QINT32: 13,
  DT_BFLOAT16: 14,
  DT_QINT16: 15,
  DT_QUINT16: 16,
  DT_UINT16: 17,
  DT_COMPLEX128: 18,
  DT_HALF: 19,
  DT_RESOURCE: 20,
  DT_VARIANT: 21,
  DT_UINT32: 22,
  DT_UINT64: 23,
  DT_FLOAT8_E5M2: 24,
  DT_FLOAT8_E4M3FN: 25,
  DT_FLOAT8_E4M3FNUZ: 26,
  DT_FLOAT8_E4M3B11FNUZ: 27,
  DT_FLOAT8_E5M2FNUZ: 28,
  DT_INT4: 29,
  DT_UINT4: 30,
  DT_INT2: 31,
  DT_UINT2: 32,
  DT_FLOAT_REF: 101,
  DT_DOUBLE_REF: 102,
  DT_INT32_REF: 103,
  DT_UINT8_REF: 104,
  DT_INT16_REF: 105,
  DT_INT8_REF: 106,
  DT_STRING_REF: 107,
  DT_COMPLEX64_REF: 108,
  DT_INT64_REF: 109,
  DT_BOOL_REF: 110,
  DT_QINT8_REF: 111,
  DT_QUINT8_REF: 112,
  DT_QINT32_REF: 113,
  DT_BFLOAT16_REF: 114,
  DT_QINT16_REF: 115,
  DT_QUINT16_REF: 116,
  DT_UINT16_REF: 117,
  DT_COMPLEX128_REF: 118,
  DT_HALF_REF: 119,
  DT_RESOURCE_REF: 120,
  DT_VARIANT_REF: 121,
  DT_UINT32_REF: 122,
  DT_UINT64_REF: 123,
  DT_FLOAT8_E5M2_REF: 124,
  DT_FLOAT8_E4M3FN_REF: 125,
  DT_FLOAT8_E4M3FNUZ_REF: 126,
  DT_FLOAT8_E4M3B11FNUZ_REF: 127,
  DT_FLOAT8_E5M2FNUZ_REF: 128,
  DT_INT4_REF: 129,
  DT_UINT4_REF: 130,
  DT_INT2_REF: 131,
  DT_UINT2_REF: 132,
} as const;
export type DataTypeName = keyof typeof DataType;
export type DataType = (typeof DataType)[DataTypeName];

const dtypeNames = new Map<number, DataTypeName>(Object.entries(DataType).map(([name, n]) => [n, name as DataTypeName]));

/** 'DT_FLOAT' for 1; 'DT_UNKNOWN_77' for a number TensorFlow has not defined (as far as we know). */
export function dtypeName(n: number): string {
  return dtypeNames.get(n) ?? `DT_UNKNOWN_${n}`;
}

export function isKnownDtype(n: number): n is DataType {
  return dtypeNames.has(n);
}

/** DT_FLOAT_REF -> DT_FLOAT; other values unchanged. */
export function baseDtype(n: number): number {
  return n > 100 && dtypeNames.has(n) ? n - 100 : n;
}

// ---------------------------------------------------------------------------
// int64

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/**
 * The exact value of an int64/uint64 field. Accepts a plain number too (as
 * protobufjs would give without long.js), but only a safe integer, since a
 * larger one has already lost precision.
 */
export function int64ToBigInt(v: Int64 | number | bigint): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int64 given as an imprecise number: ${v}`);
    return BigInt(v);
  }
  const bits = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** A protobufjs int64 (unsigned: uint64/fixed64) holding exactly `v`; throws if out of range. */
export function bigIntToInt64(v: bigint | number, unsigned = false): Int64 {
  let b: bigint;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer: ${v}`);
    b = BigInt(v);
  } else {
    b = v;
  }
  if (unsigned ? b < 0n || b >= TWO_64 : b < -TWO_63 || b >= TWO_63) {
    throw new RangeError(`${b} does not fit in ${unsigned ? 'uint64' : 'int64'}`);
  }
  const u = BigInt.asUintN(64, b);
  const lo = Number(u & 0xffffffffn);
  const hi = Number(u >> 32n);
  return new protobuf.util.LongBits(lo, hi).toLong(unsigned);
}

/** The value as a JS number when it is exactly representable; throws otherwise. */
export function int64ToNumber(v: Int64 | number | bigint): number {
  const b = int64ToBigInt(v);
  const n = Number(b);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int64 ${b} is beyond 2^53 and cannot be a JS number`);
  return n;
}

// ---------------------------------------------------------------------------
// shapes

/**
 * The dimensions of a shape, -1n for an unknown one; null when the rank is
 * unknown (or the shape is absent).
 */
export function shapeDims(s: TensorShapeProto | null | undefined): bigint[] | null {
  if (s === null || s === undefined || s.unknown_rank) return null;
  return s.dim.map((d) => int64ToBigInt(d.size));
}

/** shapeDims as numbers (-1 unknown); throws RangeError if a dimension exceeds 2^53. */
export function shapeDimsNumber(s: TensorShapeProto | null | undefined): number[] | null {
  if (s === null || s === undefined || s.unknown_rank) return null;
  return s.dim.map((d) => int64ToNumber(d.size));
}
