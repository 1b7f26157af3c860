// Image resizes: ResizeBilinear, ResizeNearestNeighbor and ResizeBicubic on
// NHWC data, to a compile-time size, with TensorFlow's coordinate mappings:
// align_corners (corners map to corners), half_pixel_centers (pixel centres
// at +0.5), or neither (the legacy asymmetric mapping). Nearest rounds as
// TensorFlow does (align_corners: round half up; otherwise floor), bicubic
// uses TensorFlow's kernels (a = -0.75 legacy, Keys' a = -0.5 with
// half-pixel centres, taps outside the image dropped). Bilinear and bicubic
// take every number dtype and output float32, as TensorFlow's (the data is
// cast to float32 first); nearest keeps the data's dtype.
// CropAndResize crops boxes (run-time tensors allowed) out of the images and
// resizes them to a constant crop_size, bilinear or nearest, with TVM's
// image.crop_and_resize, which maps coordinates and extrapolates as
// TensorFlow does; the crops are float32 for every image dtype.

import type { Op, ValueId } from '../../ops.js';
import type { DType } from '../../types.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { ALL_INT_DTYPES, BF16_FLOAT_DTYPES, constIntsOf, input, inputOf, irType } from './common.js';

type Method = 'linear' | 'nearest_neighbor' | 'cubic';

/** CropAndResize's image dtypes: those TensorFlow's CPU kernel takes. */
const CROP_DTYPES: readonly DType[] = ['float32', 'float16', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64'];
/** The resizes' dtypes: every number dtype (bilinear and bicubic read it as float32; nearest is a gather, exact in any dtype). */
const RESIZE_DTYPES: readonly DType[] = [...BF16_FLOAT_DTYPES, ...ALL_INT_DTYPES];

function resizeOp(c: NodeCtx, method: Method, dtypes: readonly DType[], arg: ValueId): Op {
  const x = inputOf(c, 0, dtypes);
  if (x.shape.length !== 4) throw new Unsupported('the images must be rank 4 (NHWC)');
  const size = constIntsOf(c, 1);
  if (size.length !== 2 || size.some((d) => d < 1)) throw new Unsupported(`size [${size}] is not two positive sizes`);
  const align = c.attrs.bool('align_corners');
  const half = c.attrs.bool('half_pixel_centers');
  if (align && half) throw new Unsupported('align_corners and half_pixel_centers together (TensorFlow rejects them)');
  const mode = align ? 'align_corners' : half ? (method === 'nearest_neighbor' ? 'tf_half_pixel_for_nn' : 'half_pixel') : 'asymmetric';
  return {
    kind: 'resize2d',
    args: [arg],
    size: [size[0]!, size[1]!],
    method,
    mode,
    rounding: method !== 'nearest_neighbor' ? '' : align ? 'round_prefer_ceil' : 'floor',
    cubicAlpha: half ? -0.5 : -0.75,
    cubicExclude: method === 'cubic' && half,
  };
}

/**
 * ResizeBilinear and ResizeBicubic read every input dtype as float32 and
 * output float32 (TensorFlow's kernels cast each pixel to float; measured
 * equal to resizing the input cast to float32 first): the data is cast to
 * float32, then resized.
 */
function toFloat32(method: Method): boolean {
  return method !== 'nearest_neighbor';
}

function resize(method: Method, dtypes: readonly DType[]): TfOpDef {
  return {
    category: 'image',
    constInputs: [1],
    dtypes,
    refuses: [
      { variant: 'images not of rank 4', reason: 'unsupported-variant' },
      { variant: 'a size that is not two positive sizes', reason: 'unsupported-variant' },
      { variant: 'align_corners and half_pixel_centers together', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const x = input(c, 0);
      return [irType(resizeOp(c, method, dtypes, 0), [toFloat32(method) ? { ...x, dtype: 'float32' } : x])];
    },
    lower(c) {
      const x = c.inputs[0]!;
      const cast = toFloat32(method) && x.dtype !== 'float32';
      const data = cast ? c.emit({ kind: 'cast', args: [c.value(0)], dtype: 'float32' }, { dtype: 'float32', shape: x.shape }) : c.value(0);
      return [c.emit(resizeOp(c, method, dtypes, data), c.outputs[0]!)];
    },
  };
}

function cropOp(c: NodeCtx, args: readonly [ValueId, ValueId, ValueId]): Op {
  const x = inputOf(c, 0, CROP_DTYPES);
  if (x.shape.length !== 4) throw new Unsupported('the images must be rank 4 (NHWC)');
  const boxes = input(c, 1);
  const ind = input(c, 2);
  if (boxes.shape.length !== 2 || boxes.shape[1] !== 4 || ind.shape.length !== 1 || ind.shape[0] !== boxes.shape[0]) {
    throw new Unsupported(`boxes [${boxes.shape}] and box_ind [${ind.shape}] are not [n, 4] and [n]`);
  }
  const size = constIntsOf(c, 3);
  if (size.length !== 2 || size.some((d) => d < 1)) throw new Unsupported(`crop_size [${size}] is not two positive sizes`);
  const method = c.attrs.str('method', 'bilinear');
  if (method !== 'bilinear' && method !== 'nearest') throw new Unsupported(`method ${method} is not bilinear or nearest`);
  return {
    kind: 'crop_and_resize',
    args,
    size: [size[0]!, size[1]!],
    method: method === 'nearest' ? 'nearest_neighbor' : 'bilinear',
    extrapolation: c.attrs.float('extrapolation_value', 0),
  };
}

const cropAndResize: TfOpDef = {
  category: 'image',
  constInputs: [3],
  dtypes: CROP_DTYPES,
  refuses: [
    { variant: 'images not of rank 4', reason: 'unsupported-variant' },
    { variant: 'boxes and box_ind not of shapes [n, 4] and [n]', reason: 'unsupported-variant' },
    { variant: 'a crop_size that is not two positive sizes', reason: 'unsupported-variant' },
    { variant: 'a method other than bilinear or nearest', reason: 'unsupported-variant' },
  ],
  infer: (c) => [irType(cropOp(c, [0, 1, 2]), [input(c, 0), input(c, 1), input(c, 2)])],
  lower: (c) => [c.emit(cropOp(c, [c.value(0), c.value(1), c.value(2)]), c.outputs[0]!)],
};

export const imageOps: OpTable = {
  CropAndResize: cropAndResize,
  // Bilinear and bicubic output float32 in TensorFlow whatever the input.
  ResizeBilinear: resize('linear', RESIZE_DTYPES),
  ResizeBicubic: resize('cubic', RESIZE_DTYPES),
  ResizeNearestNeighbor: resize('nearest_neighbor', RESIZE_DTYPES),
};
