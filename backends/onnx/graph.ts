// The ONNX graph a cluster function becomes, as plain data: nodes (op type,
// input and output names, attributes) and constant tensors (initializers).
// emit.ts turns it into ONNX protobuf; the lowerings in ops/ fill it.

import type { DType } from '../../ir/types.js';

export type OnnxAttr =
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly kind: 'string'; readonly value: string };

export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: readonly OnnxAttr[];
}

/** A constant: IR dtype, dimensions, raw little-endian bytes. */
export interface OnnxTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/** An IR value, or an op, that ONNX (opset 18) cannot express as tf2tvm lowers it. */
export class OnnxUnsupported extends Error {}

export const attr = {
  int: (name: string, value: number): OnnxAttr => ({ name, kind: 'int', value }),
  float: (name: string, value: number): OnnxAttr => ({ name, kind: 'float', value }),
  ints: (name: string, value: readonly number[]): OnnxAttr => ({ name, kind: 'ints', value }),
  string: (name: string, value: string): OnnxAttr => ({ name, kind: 'string', value }),
};

function scalarBytes(value: number, dtype: DType): Uint8Array {
  const sizes: Record<DType, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1 };
  const out = new Uint8Array(sizes[dtype]);
  const v = new DataView(out.buffer);
  switch (dtype) {
    case 'float32':
      v.setFloat32(0, value, true);
      break;
    case 'float64':
      v.setFloat64(0, value, true);
      break;
    case 'int32':
      v.setInt32(0, value, true);
      break;
    case 'int64':
      v.setBigInt64(0, BigInt(value), true);
      break;
    case 'int8':
      v.setInt8(0, value);
      break;
    case 'uint8':
    case 'bool':
      v.setUint8(0, value);
      break;
    case 'int16':
      v.setInt16(0, value, true);
      break;
    case 'float16':
    case 'bfloat16':
      throw new OnnxUnsupported(`a ${dtype} scalar constant`);
  }
  return out;
}

/** Collects nodes and constants; names every temporary uniquely. */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly constants: OnnxTensor[] = [];
  private next = 0;

  /** Adds a node; returns its (first) output name, `out` if given. */
  node(opType: string, inputs: readonly string[], attrs: readonly OnnxAttr[] = [], out?: string): string {
    const output = out ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, inputs, outputs: [output], attrs });
    return output;
  }

  fresh(stem: string): string {
    return `${stem}_${this.next++}`;
  }

  /** A 1-D int64 constant (shapes, axes, pads, slice bounds). */
  int64s(values: readonly number[]): string {
    const bytes = new Uint8Array(8 * values.length);
    const v = new DataView(bytes.buffer);
    values.forEach((x, i) => v.setBigInt64(8 * i, BigInt(x), true));
    return this.constant('int64', [values.length], bytes);
  }

  /** A scalar constant of `dtype`. */
  scalar(value: number, dtype: DType): string {
    return this.constant(dtype, [], scalarBytes(value, dtype));
  }

  constant(dtype: DType, dims: readonly number[], bytes: Uint8Array): string {
    const name = this.fresh('const');
    this.constants.push({ name, dtype, dims, bytes });
    return name;
  }
}
