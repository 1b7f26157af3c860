// Shape ops whose shape arguments are compile-time constants: Reshape,
// Squeeze, ExpandDims; and Shape itself, which folds to a constant when its
// input's shape is static.

import { numElements } from '../../types.js';
import { makeConst } from '../consts.js';
import { Unsupported, type OpTable } from '../registry.js';
import { constIntsOf, input } from './common.js';

export const shapeOps: OpTable = {
  Reshape: {
    category: 'shape',
    constInputs: [1],
    infer(c) {
      const x = input(c, 0);
      const want = constIntsOf(c, 1);
      const known = want.filter((d) => d !== -1);
      const unknown = want.length - known.length;
      if (unknown > 1) throw new Unsupported('more than one -1 in the new shape');
      const total = numElements(x.shape);
      const rest = numElements(known);
      const shape = want.map((d) => (d === -1 ? total / rest : d));
      if (numElements(shape) !== total || shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new Unsupported(`cannot reshape [${x.shape}] to [${want}]`);
      }
      return [{ dtype: x.dtype, shape }];
    },
    lower: (c) => [c.emit({ kind: 'reshape', args: [c.value(0)], shape: c.outputs[0]!.shape }, c.outputs[0]!)],
  },
  ConcatV2: {
    category: 'shape',
    // The axis is the last input (its position varies, so the type rule checks
    // it is constant rather than `constInputs`); the values are all the others.
    infer(c) {
      const n = c.inputs.length - 1;
      const axisIn = c.constInput(n);
      if (!axisIn) throw new Unsupported('the axis must be a compile-time constant', 'needs-constant');
      const first = input(c, 0);
      const rank = first.shape.length;
      let axis = Number(axisIn.data[0]);
      if (axis < 0) axis += rank;
      const shape = [...first.shape];
      shape[axis] = 0;
      for (let i = 0; i < n; i++) {
        const t = input(c, i);
        if (t.dtype !== first.dtype || t.shape.length !== rank || t.shape.some((d, k) => k !== axis && d !== first.shape[k])) {
          throw new Unsupported(`input ${i} [${t.shape}] does not match [${first.shape}] off axis ${axis}`);
        }
        shape[axis] = shape[axis]! + t.shape[axis]!;
      }
      return [{ dtype: first.dtype, shape }];
    },
    lower(c) {
      const n = c.inputs.length - 1;
      const rank = c.inputs[0]!.shape.length;
      let axis = Number(c.constInput(n)!.data[0]);
      if (axis < 0) axis += rank;
      const args = Array.from({ length: n }, (_, i) => c.value(i));
      return [c.emit({ kind: 'concat', args, axis }, c.outputs[0]!)];
    },
  },
  Shape: {
    category: 'shape',
    infer(c) {
      const x = input(c, 0);
      const dtype = c.attrs.dtype('out_type') ?? 'int32';
      return [{ dtype, shape: [x.shape.length] }];
    },
    fold(c) {
      const x = c.inputs[0];
      if (!x) return undefined;
      return [makeConst(c.attrs.dtype('out_type') ?? 'int32', [x.shape.length], x.shape)];
    },
  },
};
