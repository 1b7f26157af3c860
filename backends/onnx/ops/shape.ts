// Data movement: reshape, transpose, concat, stack, pad, strided_slice.

import { attr, OnnxUnsupported } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg, argType } from './lowering.js';
import { normAxis } from '../../../ir/types.js';

export const shape: OnnxLoweringTable<'reshape' | 'transpose' | 'concat' | 'stack' | 'pad' | 'strided_slice'> = {
  reshape: (op, args, _result, _types, g, out) => void g.node('Reshape', [arg(args, 0, 'reshape'), g.int64s(op.shape)], [], out),
  transpose: (op, args, _result, _types, g, out) => void g.node('Transpose', [arg(args, 0, 'transpose')], [attr.ints('perm', op.perm)], out),
  concat: (op, args, result, _types, g, out) => void g.node('Concat', args, [attr.int('axis', normAxis(op.axis, result.shape.length))], out),
  stack: (op, args, result, _types, g, out) => {
    const axis = normAxis(op.axis, result.shape.length);
    const axes = g.int64s([axis]);
    g.node(
      'Concat',
      args.map((a) => g.node('Unsqueeze', [a, axes])),
      [attr.int('axis', axis)],
      out,
    );
  },
  pad: (op, args, result, _types, g, out) => {
    const rank = result.shape.length;
    const pads = Array.from({ length: rank }, (_, i) => op.pads[i] ?? ([0, 0] as const));
    // ONNX: every dimension's begin, then every dimension's end.
    const widths = g.int64s([...pads.map(([b]) => b), ...pads.map(([, a]) => a)]);
    if (op.mode === 'symmetric') throw new OnnxUnsupported('SYMMETRIC padding (ONNX Pad has reflect, edge and wrap)');
    const inputs = [arg(args, 0, 'pad'), widths];
    if (op.mode === 'constant') inputs.push(g.scalar(op.value, result.dtype));
    g.node('Pad', inputs, [attr.string('mode', op.mode)], out);
  },
  strided_slice: (op, args, _result, types, g, out) => {
    const dims = argType(types, 0, 'strided_slice').shape;
    // IR indices are absolute; -1 with a negative stride means "through index
    // 0". ONNX adds the extent to negative indices (then clamps), so subtract it.
    const abs = (vs: readonly number[]): number[] => vs.map((v, i) => (v < 0 ? v - (dims[i] ?? 0) : v));
    const axes = op.begin.map((_, i) => i);
    g.node('Slice', [arg(args, 0, 'strided_slice'), g.int64s(abs(op.begin)), g.int64s(abs(op.end)), g.int64s(axes), g.int64s(op.strides)], [], out);
  },
};
