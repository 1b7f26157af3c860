// Comparisons, logical ops, Select/SelectV2 and the float tests (IsNan,
// IsInf, IsFinite): bool results, NumPy broadcasting. Comparisons of
// integer constants fold (shape logic in Keras graphs).

import type { CompareFn, Op, TestFn, ValueId } from '../../ops.js';
import { DTYPES, isHalf, type DType } from '../../types.js';
import { constNumbers, makeConst } from '../consts.js';
import { Unsupported, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { ALL_NUMBER_DTYPES, BF16_FLOAT_DTYPES, input, inputOf, irType } from './common.js';

/** Equal, NotEqual, Select and SelectV2 have CPU kernels for every dtype (bool, bfloat16 and int16 too). */
const EVERY_DTYPE: readonly DType[] = DTYPES;

const CMP: Record<CompareFn, (a: number, b: number) => boolean> = {
  equal: (a, b) => a === b,
  not_equal: (a, b) => a !== b,
  less: (a, b) => a < b,
  less_equal: (a, b) => a <= b,
  greater: (a, b) => a > b,
  greater_equal: (a, b) => a >= b,
};

function compare(fn: CompareFn, withBool: boolean): TfOpDef {
  const dtypes = withBool ? EVERY_DTYPE : ALL_NUMBER_DTYPES;
  return {
    category: 'comparison',
    dtypes,
    refuses: [
      { variant: 'operands of different dtypes', reason: 'unsupported-variant' },
      { variant: 'shapes that do not broadcast', reason: 'unsupported-variant' },
    ],
    infer: (c) => [irType({ kind: 'compare', fn, args: [0, 1] }, [inputOf(c, 0, dtypes), inputOf(c, 1, dtypes)])],
    fold(c) {
      const a = c.constInput(0);
      const b = c.constInput(1);
      // Scalars against tensors, or equal shapes: enough for shape logic; float16 has no numbers.
      if (!a || !b || isHalf(a.dtype) || a.dtype !== b.dtype) return undefined;
      const av = constNumbers(a);
      const bv = constNumbers(b);
      if (av.length !== bv.length && av.length !== 1 && bv.length !== 1) return undefined;
      const shape = av.length >= bv.length ? a.shape : b.shape;
      const n = Math.max(av.length, bv.length);
      const out = Array.from({ length: n }, (_, i) => (CMP[fn](av[av.length === 1 ? 0 : i]!, bv[bv.length === 1 ? 0 : i]!) ? 1 : 0));
      return [makeConst('bool', shape, out)];
    },
    lower: (c) => [c.emit({ kind: 'compare', fn, args: [c.value(0), c.value(1)] }, c.outputs[0]!)],
  };
}

function logical(fn: 'logical_and' | 'logical_or'): TfOpDef {
  return {
    category: 'comparison',
    dtypes: ['bool'],
    refuses: [{ variant: 'shapes that do not broadcast', reason: 'unsupported-variant' }],
    infer: (c) => [irType({ kind: 'binary', fn, args: [0, 1] }, [inputOf(c, 0, ['bool']), inputOf(c, 1, ['bool'])])],
    lower: (c) => [c.emit({ kind: 'binary', fn, args: [c.value(0), c.value(1)] }, c.outputs[0]!)],
  };
}

/**
 * Select (v1): the condition has the data's shape, or is a vector over its
 * first dimension (reshaped to [n, 1, ...] for broadcasting); SelectV2
 * broadcasts all three.
 */
function selectOp(c: NodeCtx, v2: boolean, args: readonly [ValueId, ValueId, ValueId]): { cond: number[] | undefined; op: Op } {
  const cond = inputOf(c, 0, ['bool']);
  const x = inputOf(c, 1, EVERY_DTYPE);
  const y = inputOf(c, 2, EVERY_DTYPE);
  let reshaped: number[] | undefined;
  if (!v2) {
    const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
    if (!same(x.shape, y.shape)) throw new Unsupported('Select needs data of one shape');
    if (!same(cond.shape, x.shape)) {
      if (cond.shape.length !== 1 || x.shape.length < 1 || cond.shape[0] !== x.shape[0]) {
        throw new Unsupported('Select needs a condition of the data shape or a vector over its first dimension');
      }
      reshaped = [cond.shape[0]!, ...x.shape.slice(1).map(() => 1)];
    }
  }
  return { cond: reshaped, op: { kind: 'select', args } };
}

function select(v2: boolean): TfOpDef {
  return {
    category: 'comparison',
    dtypes: EVERY_DTYPE,
    refuses: [
      { variant: 'a condition that is not bool', reason: 'unsupported-dtype' },
      { variant: 'branches of different dtypes', reason: 'unsupported-variant' },
      v2
        ? { variant: 'shapes that do not broadcast', reason: 'unsupported-variant' }
        : { variant: 'a condition neither of the data shape nor a vector over its first dimension', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const { cond, op } = selectOp(c, v2, [0, 1, 2]);
      const ct = input(c, 0);
      return [irType(op, [cond ? { dtype: ct.dtype, shape: cond } : ct, input(c, 1), input(c, 2)])];
    },
    lower(c) {
      const { cond } = selectOp(c, v2, [0, 1, 2]);
      const cv = cond ? c.emit({ kind: 'reshape', args: [c.value(0)], shape: cond }, { dtype: 'bool', shape: cond }) : c.value(0);
      return [c.emit({ kind: 'select', args: [cv, c.value(1), c.value(2)] }, c.outputs[0]!)];
    },
  };
}

function test(fn: TestFn): TfOpDef {
  return {
    category: 'comparison',
    dtypes: BF16_FLOAT_DTYPES,
    infer: (c) => [irType({ kind: 'test', fn, args: [0] }, [inputOf(c, 0, BF16_FLOAT_DTYPES)])],
    lower: (c) => [c.emit({ kind: 'test', fn, args: [c.value(0)] }, c.outputs[0]!)],
  };
}

export const comparisonOps: OpTable = {
  // incompatible_shape_error=false only matters for shapes that do not broadcast: refused like any such pair.
  Equal: compare('equal', true),
  NotEqual: compare('not_equal', true),
  Less: compare('less', false),
  LessEqual: compare('less_equal', false),
  Greater: compare('greater', false),
  GreaterEqual: compare('greater_equal', false),
  LogicalAnd: logical('logical_and'),
  LogicalOr: logical('logical_or'),
  LogicalNot: {
    category: 'comparison',
    dtypes: ['bool'],
    infer: (c) => [inputOf(c, 0, ['bool'])],
    lower: (c) => [c.emit({ kind: 'unary', fn: 'logical_not', args: [c.value(0)] }, c.outputs[0]!)],
  },
  Select: select(false),
  SelectV2: select(true),
  IsNan: test('isnan'),
  IsInf: test('isinf'),
  IsFinite: test('isfinite'),
};
