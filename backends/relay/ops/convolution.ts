// conv2d. NHWC data keeps its TensorFlow kernel layout (HWIO, or HWOI with
// weights [kh, kw, C, multiplier] for depthwise). NCHW data is given an OIHW
// kernel by a transpose of the weight, which the build folds away since
// weights are bound constants: x86 has no NCHW schedule for HWIO kernels.

import type { LoweringTable } from './lowering.js';
import { arg, argType, dim } from './lowering.js';
import { intList, strAttr } from '../text.js';

export const convolution: LoweringTable<'conv2d'> = {
  conv2d: (op, args, result, types) => {
    const data = arg(args, 0, 'conv2d');
    const w = argType(types, 1, 'conv2d');
    const [kh, kw, wi, wo] = [0, 1, 2, 3].map((i) => dim(w, i, 'conv2d')) as [number, number, number, number];
    const channels = dim(result, op.dataLayout === 'NHWC' ? 3 : 1, 'conv2d');
    let weight = arg(args, 1, 'conv2d');
    let kernelLayout: string = op.kernelLayout;
    if (op.dataLayout === 'NCHW') {
      if (op.kernelLayout === 'HWOI') weight = `reshape(${weight}, newshape=${intList([kh, kw, 1, wi * wo])})`;
      weight = `transpose(${weight}, axes=[3, 2, 0, 1])`;
      kernelLayout = 'OIHW';
    }
    return (
      `nn.conv2d(${data}, ${weight}, strides=${intList(op.strides)}, padding=${intList(op.pads)}, ` +
      `dilation=${intList(op.dilations)}, groups=${op.groups}, channels=${channels}, ` +
      `kernel_size=${intList([kh, kw])}, data_layout=${strAttr(op.dataLayout)}, kernel_layout=${strAttr(kernelLayout)})`
    );
  },
};
