// Gathers and index-producing ops: take, gather_nd, one_hot, arg_reduce,
// top_k; lrn, resize2d and crop_and_resize.

import type { LoweringTable } from './lowering.js';
import { arg, argType } from './lowering.js';
import { floatAttr, intList, strAttr } from '../text.js';

export const indexing: LoweringTable<'take' | 'gather_nd' | 'one_hot' | 'arg_reduce' | 'top_k' | 'lrn' | 'resize2d' | 'crop_and_resize'> = {
  crop_and_resize: (op, args) =>
    `image.crop_and_resize(${arg(args, 0, 'crop_and_resize')}, ${arg(args, 1, 'crop_and_resize')}, ${arg(args, 2, 'crop_and_resize')}, ` +
    `crop_size=${intList(op.size)}, layout="NHWC", method=${strAttr(op.method)}, extrapolation_value=${floatAttr(op.extrapolation)}, ` +
    `out_dtype="float32")`,
  resize2d: (op, args) =>
    `image.resize2d(${arg(args, 0, 'resize2d')}, size=${intList(op.size)}, roi=[0f, 0f, 0f, 0f], layout="NHWC", ` +
    `method=${strAttr(op.method)}, coordinate_transformation_mode=${strAttr(op.mode)}, rounding_method=${strAttr(op.rounding)}, ` +
    `cubic_alpha=${floatAttr(op.cubicAlpha)}, cubic_exclude=${op.cubicExclude ? 1 : 0}, extrapolation_value=0f, out_dtype="")`,
  // mode="clip": an index out of range (an error in TensorFlow) reads the edge, never outside the buffer.
  take: (op, args) => `take(${arg(args, 0, 'take')}, ${arg(args, 1, 'take')}, axis=${op.axis}, batch_dims=${op.batchDims}, mode="clip")`,
  gather_nd: (_op, args, _result, types) => {
    // Relay wants the index tuple first: [M, ...] where TensorFlow has [..., M].
    const rank = argType(types, 1, 'gather_nd').shape.length;
    const perm = [rank - 1, ...Array.from({ length: rank - 1 }, (_, i) => i)];
    return `gather_nd(${arg(args, 0, 'gather_nd')}, transpose(${arg(args, 1, 'gather_nd')}, axes=${intList(perm)}))`;
  },
  one_hot: (op, args, result) =>
    `one_hot(${arg(args, 0, 'one_hot')}, ${arg(args, 1, 'one_hot')}, ${arg(args, 2, 'one_hot')}, depth=${op.depth}, ` +
    `axis=${op.axis}, dtype=${strAttr(result.dtype)})`,
  arg_reduce: (op, args) => {
    const r = `arg${op.fn}(${arg(args, 0, 'arg_reduce')}, axis=[${op.axis}], keepdims=False, exclude=False, select_last_index=False)`;
    return op.dtype === 'int32' ? r : `cast(${r}, dtype=${strAttr(op.dtype)})`;
  },
  top_k: (op, args) => `topk(${arg(args, 0, 'top_k')}, k=${op.k}, axis=-1, ret_type=${strAttr(op.output)}, is_ascend=False, dtype="int32")`,
  // Relay divides alpha by size; TensorFlow's alpha multiplies the sum itself.
  lrn: (op, args) =>
    `nn.lrn(${arg(args, 0, 'lrn')}, size=${op.size}, axis=${op.axis}, bias=${floatAttr(op.bias)}, ` +
    `alpha=${floatAttr(op.alpha * op.size)}, beta=${floatAttr(op.beta)})`,
};
