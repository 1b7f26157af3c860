// IR op kinds with no ONNX lowering yet (the op coverage work added them after
// the ONNX export): each is an explicit entry, so the table stays exhaustive
// and a cluster using one is not exported (TF2TVM3110), the rest are.

import type { OnnxLoweringTable } from './lowering.js';
import { notLowered } from './lowering.js';

export const pending: OnnxLoweringTable<
  | 'conv2d_transpose'
  | 'conv3d'
  | 'conv3d_transpose'
  | 'crop_and_resize'
  | 'pool3d'
  | 'test'
  | 'select'
  | 'take'
  | 'gather_nd'
  | 'tile'
  | 'broadcast_to'
  | 'fill_like'
  | 'arg_reduce'
  | 'top_k'
  | 'one_hot'
  | 'resize2d'
  | 'lrn'
> = {
  conv2d_transpose: notLowered('conv2d_transpose'),
  conv3d: notLowered('conv3d'),
  conv3d_transpose: notLowered('conv3d_transpose'),
  crop_and_resize: notLowered('crop_and_resize'),
  pool3d: notLowered('pool3d'),
  test: notLowered('test'),
  select: notLowered('select'),
  take: notLowered('take'),
  gather_nd: notLowered('gather_nd'),
  tile: notLowered('tile'),
  broadcast_to: notLowered('broadcast_to'),
  fill_like: notLowered('fill_like'),
  arg_reduce: notLowered('arg_reduce'),
  top_k: notLowered('top_k'),
  one_hot: notLowered('one_hot'),
  resize2d: notLowered('resize2d'),
  lrn: notLowered('lrn'),
};
