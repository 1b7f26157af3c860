// Mean / Sum / Max / Min / Prod over constant axes, with keep_dims. Float data
// is lowered; integer constants fold (shape arithmetic such as the product of
// a static shape's tail), integer tensors stay in TensorFlow (TF's integer
// Mean divides with truncation, which the IR's mean does not promise).

import { reducedShape } from '../../infer.js';
import type { Op, ReduceFn, ValueId } from '../../ops.js';
import { makeConst, stridesOf } from '../consts.js';
import type { NodeCtx, OpTable, TfOpDef } from '../registry.js';
import { axisIn, constIntsOf, FLOAT_DTYPES, floatInput, input, irType } from './common.js';

/** Sorted, deduplicated, non-negative reduction axes (a scalar or a vector input). */
function axesOf(c: NodeCtx, rank: number): number[] {
  const raw = constIntsOf(c, 1);
  return [...new Set(raw.map((a) => axisIn(a, rank, 'reduction axis')))].sort((a, b) => a - b);
}

/** The IR reduce the node lowers to (and whose type rule types it, integer data included). */
function reduceOp(c: NodeCtx, fn: ReduceFn, arg: ValueId): Op {
  return { kind: 'reduce', fn, args: [arg], axes: axesOf(c, input(c, 0).shape.length), keepDims: c.attrs.bool('keep_dims') };
}

const INT_REDUCE: Partial<Record<ReduceFn, { init: bigint; f: (a: bigint, b: bigint) => bigint }>> = {
  sum: { init: 0n, f: (a, b) => a + b },
  prod: { init: 1n, f: (a, b) => a * b },
  max: { init: -(2n ** 63n), f: (a, b) => (a > b ? a : b) },
  min: { init: 2n ** 63n - 1n, f: (a, b) => (a < b ? a : b) },
};

function reduce(fn: ReduceFn): TfOpDef {
  return {
    category: 'reduction',
    constInputs: [1],
    dtypes: FLOAT_DTYPES,
    refuses: [{ variant: 'a reduction axis out of range', reason: 'unsupported-variant' }],
    // Integer inputs are typed (so constants can fold) but only float data is lowered: see check.
    infer: (c) => [irType(reduceOp(c, fn, 0), [input(c, 0)])],
    check(c) {
      floatInput(c, 0);
      return undefined;
    },
    fold(c) {
      const v = c.constInput(0);
      const op = INT_REDUCE[fn];
      if (!v || !op || (v.dtype !== 'int32' && v.dtype !== 'int64')) return undefined;
      const axes = axesOf(c, v.shape.length);
      const keep = c.attrs.bool('keep_dims');
      const outShape = reducedShape(v.shape, axes, keep);
      // Accumulate every input element into the output cell it reduces to.
      const keptDims = v.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const keptShape = keptDims.map((i) => v.shape[i]!);
      const keptStrides = stridesOf(keptShape);
      const acc = new Array<bigint>(keptShape.reduce((a, b) => a * b, 1)).fill(op.init);
      const vals = Array.from(v.data as Iterable<number | bigint>, (x) => BigInt(x));
      const st = stridesOf(v.shape);
      vals.forEach((x, flat) => {
        let cell = 0;
        keptDims.forEach((d, j) => (cell += (Math.floor(flat / st[d]!) % v.shape[d]!) * keptStrides[j]!));
        acc[cell] = op.f(acc[cell]!, x);
      });
      const bits = v.dtype === 'int64' ? 64 : 32;
      const out = acc.map((a) => Number(BigInt.asIntN(bits, a)));
      if (out.some((n) => !Number.isSafeInteger(n))) return undefined;
      return [makeConst(v.dtype, outShape, out)];
    },
    lower: (c) => [c.emit(reduceOp(c, fn, c.value(0)), c.outputs[0]!)],
  };
}

export const reductionOps: OpTable = {
  Mean: reduce('mean'),
  Sum: reduce('sum'),
  Max: reduce('max'),
  Min: reduce('min'),
  Prod: reduce('prod'),
};
