// The image table (ir/tf/ops/image.ts): resizes to a constant size, with the
// coordinate mapping and rounding TensorFlow's align_corners and
// half_pixel_centers stand for.

import { imageOps } from '../../../../ir/tf/ops/image.js';
import { attr, DT, G } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build } from './contract.js';

const resize = (g: G, op: string, x: number[], size: number[], flags: { align?: boolean; half?: boolean } = {}, dt: number = DT.float): string =>
  g.op('r', op, [g.ph('x', x, dt), g.const('size', [size.length], size, DT.int32)], {
    T: attr.type(dt),
    align_corners: attr.b(flags.align ?? false),
    half_pixel_centers: attr.b(flags.half ?? false),
  });

test.each([
  ['ResizeBilinear', {}, { method: 'linear', mode: 'asymmetric', rounding: '' }],
  ['ResizeBilinear', { half: true }, { method: 'linear', mode: 'half_pixel' }],
  ['ResizeNearestNeighbor', { align: true }, { method: 'nearest_neighbor', mode: 'align_corners', rounding: 'round_prefer_ceil' }],
  ['ResizeNearestNeighbor', { half: true }, { method: 'nearest_neighbor', mode: 'tf_half_pixel_for_nn', rounding: 'floor' }],
  ['ResizeBicubic', {}, { method: 'cubic', mode: 'asymmetric', cubicAlpha: -0.75, cubicExclude: false }],
  ['ResizeBicubic', { half: true }, { method: 'cubic', mode: 'half_pixel', cubicAlpha: -0.5, cubicExclude: true }],
] as const)('%s with %j', (op, flags, want) => {
  const g = new G();
  resize(g, op, [1, 3, 4, 2], [6, 5], flags);
  const a = g.analyze();
  expect(a.shape('r')).toEqual([1, 6, 5, 2]);
  expect(a.instrs('r')[0]?.op).toMatchObject({ kind: 'resize2d', size: [6, 5], ...want });
});

const refusals = (op: string): Record<string, Build> => ({
  'images not of rank 4': (g) => resize(g, op, [3, 4, 2], [6, 5]),
  'a size that is not two positive sizes': (g) => resize(g, op, [1, 3, 4, 2], [6, 0]),
  'align_corners and half_pixel_centers together': (g) => resize(g, op, [1, 3, 4, 2], [6, 5], { align: true, half: true }),
});
const crop = (g: G, x: number[] = [2, 5, 6, 3], n = 4, size = [3, 4], extra = {}, dt: number = DT.float, nInd = n): string =>
  g.op(
    'crop',
    'CropAndResize',
    [g.ph('x', x, dt), g.ph('boxes', [n, 4]), g.ph('ind', [nInd], DT.int32), g.const('size', [size.length], size, DT.int32)],
    {
      T: attr.type(dt),
      ...extra,
    },
  );

test('CropAndResize: run-time boxes, a float32 crop per box, nearest and the extrapolation value kept', () => {
  const g = new G();
  crop(g, [2, 5, 6, 3], 4, [3, 4], { method: attr.s('nearest'), extrapolation_value: attr.f(0.5) }, DT.int32);
  const a = g.analyze();
  expect(a.types('crop').outputs[0]).toEqual({ dtype: 'float32', shape: [4, 3, 4, 3] });
  expect(a.instrs('crop')[0]?.op).toMatchObject({ kind: 'crop_and_resize', size: [3, 4], method: 'nearest_neighbor', extrapolation: 0.5 });
});

const cropRefusals: Record<string, Build> = {
  'images not of rank 4': (g) => crop(g, [5, 6, 3]),
  'boxes and box_ind not of shapes [n, 4] and [n]': (g) => crop(g, undefined, 4, [3, 4], {}, DT.float, 3),
  'a crop_size that is not two positive sizes': (g) => crop(g, undefined, 4, [3, 0]),
  'a method other than bilinear or nearest': (g) => crop(g, undefined, 4, [3, 4], { method: attr.s('bicubic') }),
};

refusalContract(imageOps, Object.fromEntries(Object.keys(imageOps).map((op) => [op, op === 'CropAndResize' ? cropRefusals : refusals(op)])));
dtypeContract(
  imageOps,
  Object.fromEntries(
    Object.keys(imageOps).map((op) => [
      op,
      (g: G, dt: number) => (op === 'CropAndResize' ? crop(g, undefined, 4, [3, 4], {}, dt) : resize(g, op, [1, 3, 4, 2], [6, 5], {}, dt)),
    ]),
  ),
);
