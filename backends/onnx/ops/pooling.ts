// pool2d as ONNX MaxPool / AveragePool (NCHW; NHWC is transposed in and
// out). Average pooling divides by the real (unpadded) elements, as
// TensorFlow's AvgPool does: count_include_pad = 0. ONNX's MaxPool takes
// floats, int8 and uint8 only: a max pool of wider integers is not exported.

import { attr, OnnxUnsupported } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { TO_NCHW, TO_NHWC, arg } from './lowering.js';

export const pooling: OnnxLoweringTable<'pool2d'> = {
  pool2d: (op, args, result, _types, g, out) => {
    if (result.dtype === 'int32' || result.dtype === 'int64') {
      throw new OnnxUnsupported(`a pool2d of ${result.dtype} data has no ONNX lowering yet (ONNX MaxPool takes floats, int8 and uint8)`);
    }
    const nhwc = op.layout === 'NHWC';
    const x = nhwc ? g.node('Transpose', [arg(args, 0, 'pool2d')], [attr.ints('perm', TO_NCHW)]) : arg(args, 0, 'pool2d');
    const attrs = [attr.ints('kernel_shape', op.size), attr.ints('strides', op.strides), attr.ints('pads', op.pads)];
    if (op.fn === 'avg') attrs.push(attr.int('count_include_pad', 0));
    const opType = op.fn === 'max' ? 'MaxPool' : 'AveragePool';
    if (!nhwc) {
      g.node(opType, [x], attrs, out);
      return;
    }
    g.node('Transpose', [g.node(opType, [x], attrs)], [attr.ints('perm', TO_NHWC)], out);
  },
};
