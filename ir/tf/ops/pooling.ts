// MaxPool / AvgPool (and MaxPoolV2, whose ksize and strides are inputs): TF
// padding modes become explicit pads, data_format stays explicit. AvgPool with
// SAME padding averages only the real elements, as the IR's pool2d avg does.

import type { Layout2d } from '../../ops.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { constIntsOf, floatInput, padding, spatial } from './common.js';

interface PoolGeometry {
  size: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  layout: Layout2d;
}

function geometry(c: NodeCtx, fromInputs: boolean): PoolGeometry {
  const format = c.attrs.str('data_format', 'NHWC');
  const { h, w, c: ch } = spatial(format);
  const x = floatInput(c, 0);
  if (x.shape.length !== 4) throw new Unsupported('input must be rank 4');
  const k = fromInputs ? constIntsOf(c, 1) : c.attrs.ints('ksize');
  const s = fromInputs ? constIntsOf(c, 2) : c.attrs.ints('strides');
  if (k.length !== 4 || s.length !== 4) throw new Unsupported('ksize and strides must have 4 entries');
  if (k[0] !== 1 || k[ch] !== 1 || s[0] !== 1 || s[ch] !== 1) {
    throw new Unsupported('pooling across the batch or channel dimension');
  }
  const mode = c.attrs.str('padding');
  const ex = c.attrs.has('explicit_paddings') ? c.attrs.ints('explicit_paddings') : [];
  const exAt = (dim: number): [number, number] | undefined => (ex.length === 8 ? [ex[2 * dim]!, ex[2 * dim + 1]!] : undefined);
  const ph = padding(mode, x.shape[h]!, k[h]!, s[h]!, 1, exAt(h));
  const pw = padding(mode, x.shape[w]!, k[w]!, s[w]!, 1, exAt(w));
  return { size: [k[h]!, k[w]!], strides: [s[h]!, s[w]!], pads: [ph[0], pw[0], ph[1], pw[1]], layout: format as Layout2d };
}

function pool(fn: 'max' | 'avg', fromInputs = false): TfOpDef {
  return {
    category: 'pooling',
    constInputs: fromInputs ? [1, 2] : [],
    infer(c) {
      const x = floatInput(c, 0);
      const g = geometry(c, fromInputs);
      const { h, w } = spatial(g.layout);
      const out = (size: number, k: number, s: number, a: number, b: number): number => Math.floor((size + a + b - k) / s) + 1;
      const shape = [...x.shape];
      shape[h] = out(x.shape[h]!, g.size[0], g.strides[0], g.pads[0], g.pads[2]);
      shape[w] = out(x.shape[w]!, g.size[1], g.strides[1], g.pads[1], g.pads[3]);
      if (shape[h]! <= 0 || shape[w]! <= 0) throw new Unsupported('the window is larger than the padded input');
      return [{ dtype: x.dtype, shape }];
    },
    lower(c) {
      const g = geometry(c, fromInputs);
      return [c.emit({ kind: 'pool2d', fn, args: [c.value(0)], ...g }, c.outputs[0]!)];
    },
  };
}

export const poolingOps: OpTable = {
  MaxPool: pool('max'),
  MaxPoolV2: pool('max', true),
  AvgPool: pool('avg'),
};
