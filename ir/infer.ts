// Type rules of the IR ops: the result type of an op from its operand types.
// The importer uses them to type what it emits and the verifier re-derives
// every instruction's type with them, so both agree by construction.

import type { Op } from './ops.js';
import { broadcastShapes, isFloat, type TensorType, formatType, normAxis, sameShape } from './types.js';

const INTEGER_FNS = new Set(['left_shift', 'right_shift']);
const FLOAT_FNS = new Set(['atan2']);
const BOOL_FNS = new Set(['logical_and', 'logical_or', 'logical_not']);
const isInt = (d: string): boolean => d.startsWith('int') || d.startsWith('uint');

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
    case 'conv2d_transpose': {
      const w = args[1]!;
      if (a0.shape.length !== 4 || w.shape.length !== 4) fail(op, 'data and weight must be rank 4');
      const nhwc = op.dataLayout === 'NHWC';
      const [n, h, wd, c] = nhwc
        ? [a0.shape[0]!, a0.shape[1]!, a0.shape[2]!, a0.shape[3]!]
        : [a0.shape[0]!, a0.shape[2]!, a0.shape[3]!, a0.shape[1]!];
      const [kh, kw, co, ci] = [w.shape[0]!, w.shape[1]!, w.shape[2]!, w.shape[3]!];
      if (ci !== c) fail(op, `weight expects ${ci} input channels, data has ${c}`);
      const oh = (h - 1) * op.strides[0] + kh - op.pads[0] - op.pads[2] + op.outputPadding[0];
      const ow = (wd - 1) * op.strides[1] + kw - op.pads[1] - op.pads[3] + op.outputPadding[1];
      if (oh <= 0 || ow <= 0) fail(op, 'an empty output');
      if (op.outputPadding.some((p, i) => p < 0 || p >= op.strides[i]!)) fail(op, 'output padding must be in [0, stride)');
      return { dtype: a0.dtype, shape: nhwc ? [n, oh, ow, co] : [n, co, oh, ow] };
    }
    case 'conv3d': {
      const w = args[1]!;
      if (a0.shape.length !== 5 || w.shape.length !== 5) fail(op, 'data and weight must be rank 5');
      if (w.shape[3] !== a0.shape[4]) fail(op, `weight expects ${w.shape[3]} input channels, data has ${a0.shape[4]}`);
      const out = [0, 1, 2].map((i) =>
        windowedOutputSize(a0.shape[i + 1]!, w.shape[i]!, op.strides[i]!, op.dilations[i]!, op.pads[i]!, op.pads[i + 3]!),
      );
      if (out.some((d) => d <= 0)) fail(op, EMPTY_WINDOW);
      return { dtype: a0.dtype, shape: [a0.shape[0]!, ...out, w.shape[4]!] };
    }
    case 'conv3d_transpose': {
      const w = args[1]!;
      if (a0.shape.length !== 5 || w.shape.length !== 5) fail(op, 'data and weight must be rank 5');
      if (w.shape[4] !== a0.shape[4]) fail(op, `weight expects ${w.shape[4]} input channels, data has ${a0.shape[4]}`);
      if (op.outputPadding.some((p, i) => p < 0 || p >= op.strides[i]!)) fail(op, 'output padding must be in [0, stride)');
      const out = [0, 1, 2].map((i) => (a0.shape[i + 1]! - 1) * op.strides[i]! + w.shape[i]! - op.pads[i]! - op.pads[i + 3]! + op.outputPadding[i]!);
      if (out.some((d) => d <= 0)) fail(op, 'an empty output');
      return { dtype: a0.dtype, shape: [a0.shape[0]!, ...out, w.shape[3]!] };
    }
    case 'pool3d': {
      if (a0.shape.length !== 5) fail(op, 'data must be rank 5');
      const out = [0, 1, 2].map((i) => windowedOutputSize(a0.shape[i + 1]!, op.size[i]!, op.strides[i]!, 1, op.pads[i]!, op.pads[i + 3]!));
      if (out.some((d) => d <= 0)) fail(op, EMPTY_WINDOW);
      return { dtype: a0.dtype, shape: [a0.shape[0]!, ...out, a0.shape[4]!] };
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
      if (INTEGER_FNS.has(op.fn) && !isInt(a0.dtype)) fail(op, `${op.fn} needs integer operands`);
      if (FLOAT_FNS.has(op.fn) && !isFloat(a0.dtype)) fail(op, `${op.fn} needs float operands`);
      if (BOOL_FNS.has(op.fn) !== (a0.dtype === 'bool')) fail(op, `${op.fn} on ${a0.dtype}`);
      const shape = broadcastShapes(a0.shape, b.shape);
      if (!shape) fail(op, `shapes ${formatType(a0)} and ${formatType(b)} do not broadcast`);
      return { dtype: a0.dtype, shape };
    }
    case 'compare': {
      const b = args[1]!;
      if (a0.dtype !== b.dtype) fail(op, `dtypes ${a0.dtype} and ${b.dtype} differ`);
      const shape = broadcastShapes(a0.shape, b.shape);
      if (!shape) fail(op, `shapes ${formatType(a0)} and ${formatType(b)} do not broadcast`);
      return { dtype: 'bool', shape };
    }
    case 'test':
      if (!isFloat(a0.dtype)) fail(op, `${op.fn} needs float data`);
      return { dtype: 'bool', shape: a0.shape };
    case 'select': {
      const [a, b] = [args[1]!, args[2]!];
      if (a0.dtype !== 'bool') fail(op, 'the condition must be bool');
      if (a.dtype !== b.dtype) fail(op, `dtypes ${a.dtype} and ${b.dtype} differ`);
      const ab = broadcastShapes(a.shape, b.shape);
      const shape = ab && broadcastShapes(a0.shape, ab);
      if (!shape) fail(op, `shapes ${formatType(a0)}, ${formatType(a)} and ${formatType(b)} do not broadcast`);
      return { dtype: a.dtype, shape };
    }
    case 'take': {
      const idx = args[1]!;
      if (idx.dtype !== 'int32' && idx.dtype !== 'int64') fail(op, 'indices must be int32 or int64');
      const axis = op.axis;
      if (axis < 0 || axis >= a0.shape.length) fail(op, `axis ${axis} out of range`);
      if (op.batchDims < 0 || op.batchDims > axis || op.batchDims > idx.shape.length) fail(op, `batch_dims ${op.batchDims} out of range`);
      for (let i = 0; i < op.batchDims; i++) if (a0.shape[i] !== idx.shape[i]) fail(op, `batch dimension ${i} differs`);
      return { dtype: a0.dtype, shape: [...a0.shape.slice(0, axis), ...idx.shape.slice(op.batchDims), ...a0.shape.slice(axis + 1)] };
    }
    case 'gather_nd': {
      const idx = args[1]!;
      if (idx.dtype !== 'int32' && idx.dtype !== 'int64') fail(op, 'indices must be int32 or int64');
      const m = idx.shape[idx.shape.length - 1];
      if (m === undefined || m < 1 || m > a0.shape.length) fail(op, 'the last dimension of indices must be in [1, rank]');
      return { dtype: a0.dtype, shape: [...idx.shape.slice(0, -1), ...a0.shape.slice(m)] };
    }
    case 'tile':
      if (op.reps.length !== a0.shape.length || op.reps.some((r) => !Number.isInteger(r) || r < 0)) fail(op, 'one non-negative rep per dimension');
      return { dtype: a0.dtype, shape: a0.shape.map((d, i) => d * op.reps[i]!) };
    case 'broadcast_to': {
      const shape = broadcastShapes(a0.shape, op.shape);
      if (!shape || !sameShape(shape, op.shape)) fail(op, `${formatType(a0)} does not broadcast to [${op.shape}]`);
      return { dtype: a0.dtype, shape };
    }
    case 'fill_like':
      return a0;
    case 'arg_reduce': {
      if (op.axis < 0 || op.axis >= a0.shape.length) fail(op, `axis ${op.axis} out of range`);
      if (a0.shape[op.axis] === 0) fail(op, 'an empty axis has no arg max');
      return { dtype: op.dtype, shape: a0.shape.filter((_, i) => i !== op.axis) };
    }
    case 'top_k': {
      const last = a0.shape[a0.shape.length - 1];
      if (last === undefined || op.k < 0 || op.k > last) fail(op, `k ${op.k} out of range`);
      return { dtype: op.output === 'values' ? a0.dtype : 'int32', shape: [...a0.shape.slice(0, -1), op.k] };
    }
    case 'one_hot': {
      const [on, off] = [args[1]!, args[2]!];
      if (a0.dtype !== 'int32' && a0.dtype !== 'int64' && a0.dtype !== 'uint8') fail(op, 'indices must be an integer type');
      if (on.shape.length || off.shape.length || on.dtype !== off.dtype) fail(op, 'on and off must be scalars of one dtype');
      const shape = [...a0.shape];
      if (op.axis < 0 || op.axis > shape.length) fail(op, `axis ${op.axis} out of range`);
      shape.splice(op.axis, 0, op.depth);
      return { dtype: on.dtype, shape };
    }
    case 'resize2d':
      if (a0.shape.length !== 4) fail(op, 'data must be rank 4 (NHWC)');
      if (op.size.some((d) => !Number.isInteger(d) || d < 1)) fail(op, `size [${op.size}] is not positive`);
      return { dtype: a0.dtype, shape: [a0.shape[0]!, op.size[0], op.size[1], a0.shape[3]!] };
    case 'crop_and_resize': {
      const [boxes, ind] = [args[1]!, args[2]!];
      if (a0.shape.length !== 4) fail(op, 'data must be rank 4 (NHWC)');
      if (boxes.dtype !== 'float32' || boxes.shape.length !== 2 || boxes.shape[1] !== 4) fail(op, 'boxes must be float32 [n, 4]');
      if (ind.dtype !== 'int32' || ind.shape.length !== 1 || ind.shape[0] !== boxes.shape[0]) fail(op, 'box indices must be int32 [n]');
      if (op.size.some((d) => !Number.isInteger(d) || d < 1)) fail(op, `size [${op.size}] is not positive`);
      return { dtype: 'float32', shape: [boxes.shape[0]!, op.size[0], op.size[1], a0.shape[3]!] };
    }
    case 'lrn':
      if (op.axis < 0 || op.axis >= a0.shape.length || op.size < 1 || op.size % 2 !== 1) fail(op, 'an odd size along an axis of the data');
      return a0;
    case 'unary':
      if (BOOL_FNS.has(op.fn) !== (a0.dtype === 'bool')) fail(op, `${op.fn} on ${a0.dtype}`);
      return a0;
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
