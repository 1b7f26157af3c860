// Weights as .npy files (format 1.0): what build.py hands to np.load. The
// bytes are already little-endian C order (ir/function.ts WeightData), so the
// file is a header plus the bytes as they are.

import { writeFileSync } from 'node:fs';
import type { DType, TensorType } from '../../ir/types.js';
import { bytesPerElement } from '../../ir/verify.js';

const DESCR: Record<DType, string> = {
  float32: '<f4',
  float16: '<f2',
  // NumPy has no bfloat16: its bits as uint16 (backends/tvm/build.py binds them as bfloat16).
  bfloat16: '<u2',
  float64: '<f8',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  int32: '<i4',
  int64: '<i8',
  bool: '|b1',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function shapeTuple(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** The .npy file for a tensor of `type` whose raw bytes are `bytes`. */
export function encodeNpy(type: TensorType, bytes: Uint8Array): Uint8Array {
  const expected = type.shape.reduce((a, b) => a * b, 1) * bytesPerElement(type.dtype);
  if (bytes.length !== expected) {
    throw new RangeError(`npy: ${type.dtype}[${type.shape.join(',')}] needs ${expected} bytes, got ${bytes.length}`);
  }
  let header = `{'descr': '${DESCR[type.dtype]}', 'fortran_order': False, 'shape': ${shapeTuple(type.shape)}, }`;
  // Pad with spaces so magic + version + length + header (ending in \n) is a multiple of 64.
  const fixed = MAGIC.length + 2 + 2;
  const total = Math.ceil((fixed + header.length + 1) / 64) * 64;
  header = header.padEnd(total - fixed - 1, ' ') + '\n';
  if (header.length > 0xffff) throw new RangeError('npy: header too long for format 1.0');
  const out = new Uint8Array(fixed + header.length + bytes.length);
  out.set(MAGIC, 0);
  out[6] = 1; // major
  out[7] = 0; // minor
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[fixed + i] = header.charCodeAt(i);
  out.set(bytes, fixed + header.length);
  return out;
}

export function writeNpy(path: string, type: TensorType, bytes: Uint8Array): void {
  writeFileSync(path, encodeNpy(type, bytes));
}

/** Reads back a file written by encodeNpy (format 1.0, little-endian, C order). */
export function decodeNpy(file: Uint8Array): { type: TensorType; bytes: Uint8Array } {
  if (file.length < 10 || MAGIC.some((b, i) => file[i] !== b)) throw new RangeError('npy: bad magic');
  if (file[6] !== 1) throw new RangeError(`npy: unsupported format version ${file[6]}.${file[7]}`);
  const len = file[8]! | (file[9]! << 8);
  const header = new TextDecoder('latin1').decode(file.subarray(10, 10 + len));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const dtype = (Object.keys(DESCR) as DType[]).find((d) => DESCR[d] === descr);
  if (!dtype || fortran !== 'False' || shapeText === undefined) throw new RangeError(`npy: unsupported header ${header.trim()}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  return { type: { dtype, shape }, bytes: file.slice(10 + len) };
}
