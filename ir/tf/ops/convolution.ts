// Conv2D and DepthwiseConv2dNative: TF padding modes become explicit pads,
// data_format is kept explicit (NHWC or NCHW), filters stay HWIO / HWOI.

import type { TensorType } from '../../types.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { floatInput, input, padding, spatial } from './common.js';

interface ConvGeometry {
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  format: 'NHWC' | 'NCHW';
}

function geometry(c: NodeCtx): ConvGeometry {
  const format = c.attrs.str('data_format', 'NHWC');
  const { h, w } = spatial(format);
  const x = floatInput(c, 0);
  const f = input(c, 1);
  const s = c.attrs.ints('strides', [1, 1, 1, 1]);
  const d = c.attrs.ints('dilations', [1, 1, 1, 1]);
  const n = spatial(format);
  if (s[0] !== 1 || s[n.c] !== 1) throw new Unsupported('strides on batch or channel dimensions');
  if (d[0] !== 1 || d[n.c] !== 1) throw new Unsupported('dilations on batch or channel dimensions');
  const mode = c.attrs.str('padding');
  const ex = c.attrs.has('explicit_paddings') ? c.attrs.ints('explicit_paddings') : [];
  const exAt = (dim: number): [number, number] | undefined =>
    ex.length === 8 ? [ex[2 * dim]!, ex[2 * dim + 1]!] : undefined;
  const ph = padding(mode, x.shape[h]!, f.shape[0]!, s[h]!, d[h]!, exAt(h));
  const pw = padding(mode, x.shape[w]!, f.shape[1]!, s[w]!, d[w]!, exAt(w));
  return {
    strides: [s[h]!, s[w]!],
    dilations: [d[h]!, d[w]!],
    pads: [ph[0], pw[0], ph[1], pw[1]],
    format: format as 'NHWC' | 'NCHW',
  };
}

function outType(x: TensorType, outC: number, g: ConvGeometry, kh: number, kw: number): TensorType {
  const { h, w } = spatial(g.format);
  const o = (size: number, k: number, i: 0 | 1): number =>
    Math.floor((size + g.pads[i] + g.pads[i + 2]! - ((k - 1) * g.dilations[i] + 1)) / g.strides[i]) + 1;
  const oh = o(x.shape[h]!, kh, 0);
  const ow = o(x.shape[w]!, kw, 1);
  const n = x.shape[0]!;
  return { dtype: x.dtype, shape: g.format === 'NHWC' ? [n, oh, ow, outC] : [n, outC, oh, ow] };
}

function conv(depthwise: boolean): TfOpDef {
  return {
    category: 'convolution',
    compute: true,
    infer(c) {
      const x = floatInput(c, 0);
      const f = input(c, 1);
      if (x.shape.length !== 4 || f.shape.length !== 4) throw new Unsupported('input and filter must be rank 4');
      const g = geometry(c);
      const inC = x.shape[spatial(g.format).c]!;
      const groups = depthwise ? inC : inC / f.shape[2]!;
      if (!Number.isInteger(groups) || (depthwise && f.shape[2] !== inC)) {
        throw new Unsupported(`filter ${f.shape} does not fit ${inC} input channels`);
      }
      const outC = depthwise ? f.shape[2]! * f.shape[3]! : f.shape[3]!;
      return [outType(x, outC, g, f.shape[0]!, f.shape[1]!)];
    },
    lower(c) {
      const x = input(c, 0);
      const f = input(c, 1);
      const g = geometry(c);
      const inC = x.shape[spatial(g.format).c]!;
      return [
        c.emit(
          {
            kind: 'conv2d',
            args: [c.value(0), c.value(1)],
            strides: g.strides,
            dilations: g.dilations,
            pads: g.pads,
            groups: depthwise ? inC : inC / f.shape[2]!,
            dataLayout: g.format,
            kernelLayout: depthwise ? 'HWOI' : 'HWIO',
          },
          c.outputs[0]!,
        ),
      ];
    },
  };
}

export const convolutionOps: OpTable = {
  Conv2D: conv(false),
  DepthwiseConv2dNative: conv(true),
};
