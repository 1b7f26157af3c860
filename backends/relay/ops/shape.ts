// Data movement: reshape, transpose, concat, stack, pad, strided_slice.

import type { LoweringTable } from './lowering.js';
import { arg, argType } from './lowering.js';
import { intList, scalar, strAttr, tuple } from '../text.js';
import { normAxis } from '../../../ir/types.js';

function padWidth(pads: readonly (readonly [number, number])[]): string {
  return `[${pads.map(([b, a]) => intList([b, a])).join(', ')}]`;
}

export const shape: LoweringTable<'reshape' | 'transpose' | 'concat' | 'stack' | 'pad' | 'strided_slice' | 'tile' | 'broadcast_to'> = {
  tile: (op, args) => `tile(${arg(args, 0, 'tile')}, reps=${intList(op.reps)})`,
  broadcast_to: (op, args) => `broadcast_to(${arg(args, 0, 'broadcast_to')}, shape=${intList(op.shape)})`,
  reshape: (op, args) => `reshape(${arg(args, 0, 'reshape')}, newshape=${intList(op.shape)})`,
  transpose: (op, args) => `transpose(${arg(args, 0, 'transpose')}, axes=${intList(op.perm)})`,
  concat: (op, args, result) => `concatenate(${tuple(args)}, axis=${normAxis(op.axis, result.shape.length)})`,
  stack: (op, args, result) => `stack(${tuple(args)}, axis=${normAxis(op.axis, result.shape.length)})`,
  pad: (op, args, result) => {
    const x = arg(args, 0, 'pad');
    const rank = result.shape.length;
    // One [before, after] pair per dimension, missing trailing pairs are zero.
    const pads = Array.from({ length: rank }, (_, i) => op.pads[i] ?? ([0, 0] as const));
    if (op.mode === 'constant') {
      return `nn.pad(${x}, ${scalar(op.value, result.dtype)}, pad_width=${padWidth(pads)})`;
    }
    // nn.mirror_pad matches numpy/TensorFlow: REFLECT excludes the edge, SYMMETRIC repeats it.
    return `nn.mirror_pad(${x}, pad_width=${padWidth(pads)}, mode=${strAttr(op.mode.toUpperCase())})`;
  },
  strided_slice: (op, args, _result, types) => {
    const x = arg(args, 0, 'strided_slice');
    const shapeIn = argType(types, 0, 'strided_slice').shape;
    // IR indices are absolute (end = -1 with a negative stride means "through
    // index 0"); Relay adds the extent to negative indices, so pre-subtract it.
    const abs = (vs: readonly number[]) => vs.map((v, i) => (v < 0 ? v - (shapeIn[i] ?? 0) : v));
    return `strided_slice(${x}, begin=${intList(abs(op.begin))}, end=${intList(abs(op.end))}, ` + `strides=${intList(op.strides)}, axes=None)`;
  },
};
