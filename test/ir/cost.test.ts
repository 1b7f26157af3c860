// ir/cost.ts: the operations an IR function does, as --serial-below reads them.

import { estimateWork } from '../../ir/cost.js';
import { FunctionBuilder } from '../../ir/function.js';
import type { TensorType } from '../../ir/types.js';

const f32 = (shape: number[]): TensorType => ({ dtype: 'float32', shape });
const weight = (b: FunctionBuilder, name: string, shape: number[]): number =>
  b.weight(name, { type: f32(shape), bytes: new Uint8Array(4 * shape.reduce((a, c) => a * c, 1)) }, name);

test('a convolution: two operations per multiply-add, kh x kw x channels per group for each output', () => {
  const b = new FunctionBuilder('conv');
  const x = b.input('x', f32([1, 28, 28, 3]), 'x');
  const w = weight(b, 'w', [3, 3, 3, 8]);
  const conv = {
    kind: 'conv2d',
    args: [x, w],
    strides: [1, 1],
    dilations: [1, 1],
    pads: [1, 1, 1, 1],
    groups: 1,
    dataLayout: 'NHWC',
    kernelLayout: 'HWIO',
  } as const;
  const y = b.emit(conv, f32([1, 28, 28, 8]), 'conv');
  expect(estimateWork(b.finish([y]))).toBe(2 * 28 * 28 * 8 * 3 * 3 * 3);
  // Depthwise (groups = channels): one input channel per output.
  const d = new FunctionBuilder('depthwise');
  const xd = d.input('x', f32([1, 3, 16, 16]), 'x');
  const wd = weight(d, 'w', [3, 3, 3, 1]);
  const yd = d.emit({ ...conv, args: [xd, wd], groups: 3, dataLayout: 'NCHW', kernelLayout: 'HWOI' }, f32([1, 3, 16, 16]), 'dw');
  expect(estimateWork(d.finish([yd]))).toBe(2 * 3 * 16 * 16 * 3 * 3);
});

test('products and the rest: dense and batch_matmul by their inner dimension, other ops by the elements they touch', () => {
  const b = new FunctionBuilder('mlp');
  const x = b.input('x', f32([4, 256]), 'x');
  const w = weight(b, 'w', [128, 256]);
  const h = b.emit({ kind: 'dense', args: [x, w] }, f32([4, 128]), 'dense');
  const r = b.emit({ kind: 'unary', fn: 'relu', args: [h] }, f32([4, 128]), 'relu');
  const a = b.emit({ kind: 'reshape', args: [r], shape: [4, 8, 16] }, f32([4, 8, 16]), 'reshape');
  const m = b.emit({ kind: 'batch_matmul', args: [a, a], transposeA: true, transposeB: false }, f32([4, 16, 16]), 'bmm');
  const work = estimateWork(b.finish([m]));
  expect(work).toBe(2 * 4 * 128 * 256 + 4 * 128 + 4 * 128 + 2 * 4 * 16 * 16 * 8);
});
