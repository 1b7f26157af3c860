// conv2d. NHWC data keeps its TensorFlow kernel layout (HWIO, or HWOI with
// weights [kh, kw, C, multiplier] for depthwise). NCHW data is given an OIHW
// kernel by a transpose of the weight, which the build folds away since
// weights are bound constants: x86 has no NCHW schedule for HWIO kernels.

import type { LoweringTable } from './lowering.js';
import { arg, argType, dim } from './lowering.js';
import { intList, strAttr } from '../text.js';

export const convolution: LoweringTable<'conv2d' | 'conv2d_transpose' | 'conv3d' | 'conv3d_transpose'> = {
  // As conv2d_transpose: TVM's x86 schedule takes NCDHW data and an IODHW kernel, so NDHWC data is
  // transposed around it and TensorFlow's [kd, kh, kw, out, in] filter transposed (a bound constant: folded).
  conv3d_transpose: (op, args, _result, types) => {
    const w = argType(types, 1, 'conv3d_transpose');
    const [kd, kh, kw, co] = [0, 1, 2, 3].map((i) => dim(w, i, 'conv3d_transpose')) as [number, number, number, number];
    const data = `transpose(${arg(args, 0, 'conv3d_transpose')}, axes=[0, 4, 1, 2, 3])`;
    const weight = `transpose(${arg(args, 1, 'conv3d_transpose')}, axes=[4, 3, 0, 1, 2])`;
    const y =
      `nn.conv3d_transpose(${data}, ${weight}, channels=${co}, kernel_size=${intList([kd, kh, kw])}, strides=${intList(op.strides)}, ` +
      `output_padding=${intList(op.outputPadding)}, padding=${intList(op.pads)}, dilation=[1, 1, 1], groups=1, ` +
      `data_layout="NCDHW", kernel_layout="IODHW")`;
    return `transpose(${y}, axes=[0, 2, 3, 4, 1])`;
  },
  conv3d: (op, args, _result, types) => {
    const w = argType(types, 1, 'conv3d');
    const [kd, kh, kw, , co] = [0, 1, 2, 3, 4].map((i) => dim(w, i, 'conv3d')) as [number, number, number, number, number];
    return (
      `nn.conv3d(${arg(args, 0, 'conv3d')}, ${arg(args, 1, 'conv3d')}, strides=${intList(op.strides)}, padding=${intList(op.pads)}, ` +
      `dilation=${intList(op.dilations)}, groups=1, channels=${co}, kernel_size=${intList([kd, kh, kw])}, ` +
      `data_layout="NDHWC", kernel_layout="DHWIO")`
    );
  },
  // x86 has schedules for NCHW data with IOHW kernels only: NHWC data is transposed around it
  // (TVM's layout passes fold the transposes of neighbouring NCHW ops), the weight is a bound constant.
  conv2d_transpose: (op, args, _result, types) => {
    const w = argType(types, 1, 'conv2d_transpose');
    const [kh, kw, co] = [0, 1, 2].map((i) => dim(w, i, 'conv2d_transpose')) as [number, number, number];
    let data = arg(args, 0, 'conv2d_transpose');
    if (op.dataLayout === 'NHWC') data = `transpose(${data}, axes=[0, 3, 1, 2])`;
    const weight = `transpose(${arg(args, 1, 'conv2d_transpose')}, axes=[3, 2, 0, 1])`;
    const y =
      `nn.conv2d_transpose(${data}, ${weight}, channels=${co}, kernel_size=${intList([kh, kw])}, strides=${intList(op.strides)}, ` +
      `output_padding=${intList(op.outputPadding)}, padding=${intList(op.pads)}, dilation=[1, 1], groups=1, ` +
      `data_layout="NCHW", kernel_layout="IOHW")`;
    return op.dataLayout === 'NHWC' ? `transpose(${y}, axes=[0, 2, 3, 1])` : y;
  },
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
