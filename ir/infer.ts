// Type rules of the IR ops: the result type of an op from its operand types.
// The importer uses them to type what it emits and the verifier re-derives
// every instruction's type with them, so both agree by construction.

import type { Op } from './ops.js';
import { broadcastShapes, type TensorType, formatType, normAxis, sameShape } from './types.js';

export class TypeRuleError extends Error {}

function fail(op: Op, why: string): never {
  throw new TypeRuleError(`${op.kind}: ${why}`);
}

/** The extent of a window of `k` taps spread `dilation` apart. */
export function dilatedWindow(k: number, dilation: number): number {
  return (k - 1) * dilation + 1;
}

/**
 * The output size of a windowed op (convolution, pooling) along one dimension:
 * how many window positions fit the input padded by `padA` before and `padB`
 * after. Zero or less means the window is larger than the padded input.
 */
export function windowedOutputSize(size: number, k: number, stride: number, dilation: number, padA: number, padB: number): number {
  return Math.floor((size + padA + padB - dilatedWindow(k, dilation)) / stride) + 1;
}

/** The shape a reduction over non-negative `axes` leaves: the axes dropped, or kept as 1. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

const EMPTY_WINDOW = 'the window is larger than the padded input';

export function inferOpType(op: Op, args: readonly TensorType[]): TensorType {
  const a0 = args[0];
  if (!a0) fail(op, 'no operands');
  switch (op.kind) {
    case 'conv2d': {
      const w = args[1]!;
      if (a0.shape.length !== 4 || w.shape.length !== 4) fail(op, 'data and weight must be rank 4');
      const [n, h, wd, c] =
        op.dataLayout === 'NHWC'
          ? [a0.shape[0]!, a0.shape[1]!, a0.shape[2]!, a0.shape[3]!]
          : [a0.shape[0]!, a0.shape[2]!, a0.shape[3]!, a0.shape[1]!];
      const [kh, kw, ci, co] = [w.shape[0]!, w.shape[1]!, w.shape[2]!, w.shape[3]!];
      // HWIO: [kh, kw, in/groups, out]; HWOI (depthwise): [kh, kw, in, multiplier].
      const outC = op.kernelLayout === 'HWIO' ? co : ci * co;
      const inC = op.kernelLayout === 'HWIO' ? ci * op.groups : ci;
      if (inC !== c) fail(op, `weight expects ${inC} input channels, data has ${c}`);
      const oh = windowedOutputSize(h, kh, op.strides[0], op.dilations[0], op.pads[0], op.pads[2]);
      const ow = windowedOutputSize(wd, kw, op.strides[1], op.dilations[1], op.pads[1], op.pads[3]);
      if (oh <= 0 || ow <= 0) fail(op, EMPTY_WINDOW);
      return { dtype: a0.dtype, shape: op.dataLayout === 'NHWC' ? [n, oh, ow, outC] : [n, outC, oh, ow] };
    }
    case 'dense': {
      const w = args[1]!;
      if (w.shape.length !== 2) fail(op, 'weight must be rank 2');
      const k = a0.shape[a0.shape.length - 1];
      if (k !== w.shape[1]) fail(op, `inner dimensions ${k} and ${w.shape[1]} differ`);
      return { dtype: a0.dtype, shape: [...a0.shape.slice(0, -1), w.shape[0]!] };
    }
    case 'batch_matmul': {
      const b = args[1]!;
      if (a0.shape.length !== 3 || b.shape.length !== 3) fail(op, 'operands must be rank 3');
      const [ba, m, ka] = op.transposeA ? [a0.shape[0], a0.shape[2], a0.shape[1]] : a0.shape;
      const [bb, kb, nn] = op.transposeB ? [b.shape[0], b.shape[2], b.shape[1]] : b.shape;
      if (ka !== kb) fail(op, `inner dimensions ${ka} and ${kb} differ`);
      if (ba !== bb && ba !== 1 && bb !== 1) fail(op, `batch dimensions ${ba} and ${bb} differ`);
      return { dtype: a0.dtype, shape: [Math.max(ba!, bb!), m!, nn!] };
    }
    case 'bias_add': {
      const b = args[1]!;
      const axis = normAxis(op.axis, a0.shape.length);
      if (b.shape.length !== 1 || b.shape[0] !== a0.shape[axis]) {
        fail(op, `bias ${formatType(b)} does not match axis ${axis} of ${formatType(a0)}`);
      }
      return a0;
    }
    case 'binary': {
      const b = args[1]!;
      if (a0.dtype !== b.dtype) fail(op, `dtypes ${a0.dtype} and ${b.dtype} differ`);
      const shape = broadcastShapes(a0.shape, b.shape);
      if (!shape) fail(op, `shapes ${formatType(a0)} and ${formatType(b)} do not broadcast`);
      return { dtype: a0.dtype, shape };
    }
    case 'unary':
    case 'clip':
    case 'leaky_relu':
    case 'softmax':
      return a0;
    case 'reshape': {
      const from = a0.shape.reduce((x, y) => x * y, 1);
      const to = op.shape.reduce((x, y) => x * y, 1);
      if (from !== to || op.shape.some((d) => d < 0)) fail(op, `cannot reshape ${formatType(a0)} to [${op.shape}]`);
      return { dtype: a0.dtype, shape: [...op.shape] };
    }
    case 'transpose': {
      if (op.perm.length !== a0.shape.length) fail(op, 'perm rank differs from operand rank');
      return { dtype: a0.dtype, shape: op.perm.map((p) => a0.shape[p]!) };
    }
    case 'cast':
      return { dtype: op.dtype, shape: a0.shape };
    case 'reduce': {
      const axes = op.axes.map((a) => normAxis(a, a0.shape.length));
      return { dtype: a0.dtype, shape: reducedShape(a0.shape, axes, op.keepDims) };
    }
    case 'pool2d': {
      if (a0.shape.length !== 4) fail(op, 'data must be rank 4');
      const [hi, wi] = op.layout === 'NHWC' ? [1, 2] : [2, 3];
      const shape = [...a0.shape];
      shape[hi] = windowedOutputSize(a0.shape[hi]!, op.size[0], op.strides[0], 1, op.pads[0], op.pads[2]);
      shape[wi] = windowedOutputSize(a0.shape[wi]!, op.size[1], op.strides[1], 1, op.pads[1], op.pads[3]);
      if (shape[hi] <= 0 || shape[wi] <= 0) fail(op, EMPTY_WINDOW);
      return { dtype: a0.dtype, shape };
    }
    case 'concat': {
      const axis = normAxis(op.axis, a0.shape.length);
      const shape = [...a0.shape];
      shape[axis] = 0;
      for (const t of args) {
        if (t.dtype !== a0.dtype || t.shape.length !== a0.shape.length || t.shape.some((d, i) => i !== axis && d !== a0.shape[i])) {
          fail(op, `operand ${formatType(t)} does not match ${formatType(a0)} off axis ${axis}`);
        }
        shape[axis] += t.shape[axis]!;
      }
      return { dtype: a0.dtype, shape };
    }
    case 'stack': {
      for (const t of args)
        if (t.dtype !== a0.dtype || !sameShape(t.shape, a0.shape)) fail(op, `operand ${formatType(t)} differs from ${formatType(a0)}`);
      const shape = [...a0.shape];
      shape.splice(normAxis(op.axis, a0.shape.length + 1), 0, args.length);
      return { dtype: a0.dtype, shape };
    }
    case 'pad':
      return { dtype: a0.dtype, shape: a0.shape.map((d, i) => d + (op.pads[i]?.[0] ?? 0) + (op.pads[i]?.[1] ?? 0)) };
    case 'strided_slice':
      return {
        dtype: a0.dtype,
        shape: a0.shape.map((_, i) => {
          const b = op.begin[i]!;
          const e = op.end[i]!;
          const s = op.strides[i]!;
          return Math.max(0, Math.ceil((e - b) / s));
        }),
      };
  }
}
