// pool2d and pool3d. Average pooling divides by the number of real (unpadded) elements,
// as TensorFlow's AvgPool does with SAME padding: count_include_pad=False.

import type { LoweringTable } from './lowering.js';
import { arg } from './lowering.js';
import { intList, strAttr } from '../text.js';

export const pooling: LoweringTable<'pool2d' | 'pool3d'> = {
  pool3d: (op, args) => {
    const common =
      `pool_size=${intList(op.size)}, strides=${intList(op.strides)}, dilation=[1, 1, 1], ` + `padding=${intList(op.pads)}, layout="NDHWC"`;
    const x = arg(args, 0, 'pool3d');
    return op.fn === 'max' ? `nn.max_pool3d(${x}, ${common})` : `nn.avg_pool3d(${x}, ${common}, count_include_pad=False)`;
  },
  pool2d: (op, args) => {
    const common =
      `pool_size=${intList(op.size)}, strides=${intList(op.strides)}, dilation=[1, 1], ` +
      `padding=${intList(op.pads)}, layout=${strAttr(op.layout)}`;
    const x = arg(args, 0, 'pool2d');
    return op.fn === 'max' ? `nn.max_pool2d(${x}, ${common})` : `nn.avg_pool2d(${x}, ${common}, count_include_pad=False)`;
  },
};
