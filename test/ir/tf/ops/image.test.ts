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
refusalContract(imageOps, Object.fromEntries(Object.keys(imageOps).map((op) => [op, refusals(op)])));
dtypeContract(
  imageOps,
  Object.fromEntries(Object.keys(imageOps).map((op) => [op, (g: G, dt: number) => resize(g, op, [1, 3, 4, 2], [6, 5], {}, dt)])),
);
