// conv2d as ONNX Conv (NCHW data, OIHW weights). NHWC data is transposed in
// and out; HWIO weights are transposed to OIHW, HWOI (depthwise,
// [kh, kw, C, multiplier]) reshaped to [kh, kw, 1, C * multiplier] first, so
// output channel c * multiplier + m is TensorFlow's. Weight transposes act on
// initializers, which ONNX Runtime folds at load.

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { TO_NCHW, TO_NHWC, arg, argType, notLowered } from './lowering.js';

export const convolution: OnnxLoweringTable<'conv2d'> = {
  conv2d: (op, args, result, types, g, out) => {
    // ONNX Runtime's CPU Conv is float32 only.
    if (result.dtype !== 'float32') notLowered(`${result.dtype} conv2d`)();
    const [kh, kw, wi, wo] = argType(types, 1, 'conv2d').shape as [number, number, number, number];
    let weight = arg(args, 1, 'conv2d');
    if (op.kernelLayout === 'HWOI') weight = g.node('Reshape', [weight, g.int64s([kh, kw, 1, wi * wo])]);
    weight = g.node('Transpose', [weight], [attr.ints('perm', [3, 2, 0, 1])]);
    const nhwc = op.dataLayout === 'NHWC';
    const data = nhwc ? g.node('Transpose', [arg(args, 0, 'conv2d')], [attr.ints('perm', TO_NCHW)]) : arg(args, 0, 'conv2d');
    const attrs = [
      attr.ints('kernel_shape', [kh, kw]),
      attr.ints('strides', op.strides),
      attr.ints('dilations', op.dilations),
      // IR pads are [top, left, bottom, right]: ONNX's [h_begin, w_begin, h_end, w_end].
      attr.ints('pads', op.pads),
      attr.int('group', op.groups),
    ];
    if (!nhwc) {
      g.node('Conv', [data, weight], attrs, out);
      return;
    }
    const conv = g.node('Conv', [data, weight], attrs);
    g.node('Transpose', [conv], [attr.ints('perm', TO_NHWC)], out);
  },
};
