// Nodes that only carry values: Const, Placeholder, Identity and its kin
// (StopGradient, PreventGradient, Snapshot, IdentityN: identities at
// inference). Const and Placeholder never join a cluster (their values reach
// clusters as weights and inputs); the identities join and cost nothing.
// And the ops that make tensors from shapes: ZerosLike, OnesLike, Fill
// (folded when its value is constant) and Range (folds only: its length
// depends on its values, so they must be constants).
// NoOp has no data outputs (it orders other nodes by control edges): it
// lowers to no code. form-clusters absorbs a NoOp into the cluster its
// control neighbours are in (a NoOp between two members would otherwise be
// a path through TensorFlow that splits them); a NoOp no cluster absorbs
// stays in TensorFlow (no-cluster-output), where it costs nothing.

import { DTYPES, isHalf, numElements, type DType } from '../../types.js';
import { constNumbers, makeConst } from '../consts.js';
import { tensorFromProto } from '../tensor.js';
import { Unsupported, type OpTable, type TfOpDef } from '../registry.js';
import { constIntsOf, input, inputOf, NUMBER_DTYPES } from './common.js';

/** ZerosLike / OnesLike: a tensor of x's type filled with `value`. */
function fillLike(value: number): TfOpDef {
  return {
    category: 'source',
    dtypes: DTYPES,
    infer: (c) => [inputOf(c, 0, DTYPES)],
    lower: (c) => [c.emit({ kind: 'fill_like', args: [c.value(0)], value }, c.outputs[0]!)],
  };
}

/** Fill's dims, checked (an empty tensor stays in TensorFlow). */
function fillDims(c: Parameters<TfOpDef['infer']>[0]): number[] {
  const dims = constIntsOf(c, 0);
  if (dims.some((d) => d < 1)) throw new Unsupported(`dims [${dims}] give an empty tensor (TVM has no zero-size tensors)`);
  const v = inputOf(c, 1, DTYPES);
  if (v.shape.length !== 0) throw new Unsupported('the value must be a scalar');
  return dims;
}

/** Range's length as TensorFlow computes it: ceil(|limit - start| / |delta|). */
function rangeValues(start: number, limit: number, delta: number): number[] {
  if (delta === 0 || (delta > 0 && start > limit) || (delta < 0 && start < limit)) {
    throw new Unsupported(`range(${start}, ${limit}, ${delta}) is invalid`);
  }
  const n = Math.ceil(Math.abs((limit - start) / delta));
  return Array.from({ length: n }, (_, i) => start + i * delta);
}

/** Output i is input i: no code, and constants pass through. `dtypes`: when not every IR dtype has a kernel. */
function identity(outputs: 'one' | 'all', dtypes?: readonly DType[]): TfOpDef {
  const count = (n: number): number => (outputs === 'one' ? 1 : n);
  return {
    category: 'source',
    free: true,
    ...(dtypes ? { dtypes } : {}),
    infer: (c) => Array.from({ length: count(c.inputs.length) }, (_, i) => input(c, i)),
    // A constraint, not a type rule: a constant still passes through (folds) for its readers.
    check(c) {
      if (dtypes) for (let i = 0; i < count(c.inputs.length); i++) inputOf(c, i, dtypes);
      return undefined;
    },
    fold(c) {
      const vs = Array.from({ length: count(c.inputs.length) }, (_, i) => c.constInput(i));
      return vs.every((v) => v) ? vs.map((v) => v!) : undefined;
    },
    lower: (c) => Array.from({ length: count(c.inputs.length) }, (_, i) => c.value(i)),
  };
}

export const sourceOps: OpTable = {
  Const: {
    category: 'source',
    refuses: [{ variant: 'a constant of a dtype the IR lacks (left untyped, so its readers stay in TensorFlow too)', reason: 'unsupported-variant' }],
    infer(c) {
      const v = tensorFromProto(c.node.def);
      if (!v) throw new Unsupported('constant of an unsupported dtype');
      return [{ dtype: v.dtype, shape: v.shape }];
    },
    fold(c) {
      const v = tensorFromProto(c.node.def);
      return v ? [v] : undefined;
    },
  },
  NoOp: {
    category: 'source',
    free: true,
    infer: () => [],
    fold: () => [],
    lower: () => [],
  },
  Identity: identity('one'),
  StopGradient: identity('one'),
  // TensorFlow registers no int32 CPU kernel of PreventGradient.
  PreventGradient: identity(
    'one',
    DTYPES.filter((d) => d !== 'int32'),
  ),
  Snapshot: identity('one'),
  IdentityN: identity('all'),
  ZerosLike: fillLike(0),
  OnesLike: fillLike(1),
  Fill: {
    category: 'source',
    constInputs: [0],
    dtypes: DTYPES,
    refuses: [
      { variant: 'dims with a zero (an empty tensor)', reason: 'unsupported-variant' },
      { variant: 'a value that is not a scalar', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const dims = fillDims(c);
      return [{ dtype: input(c, 1).dtype, shape: dims }];
    },
    fold(c) {
      const v = c.constInput(1);
      const dims = fillDims(c);
      // Small fills only: a large constant would become a weight file for what is one broadcast.
      if (!v || isHalf(v.dtype) || numElements(dims) > 4096) return undefined;
      return [makeConst(v.dtype, dims, new Array<number>(numElements(dims)).fill(constNumbers(v)[0]!))];
    },
    lower: (c) => [c.emit({ kind: 'broadcast_to', args: [c.value(1)], shape: fillDims(c) }, c.outputs[0]!)],
  },
  Range: {
    category: 'source',
    constInputs: [0, 1, 2],
    dtypes: NUMBER_DTYPES,
    refuses: [
      { variant: 'a zero delta, or one pointing away from the limit', reason: 'unsupported-variant' },
      { variant: 'an empty range', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const [s, l, d] = [0, 1, 2].map((i) => c.constInput(i));
      if (!s || !l || !d) throw new Unsupported('start, limit and delta must be compile-time constants', 'needs-constant');
      const dtype = c.attrs.dtype('Tidx') ?? s.dtype;
      const n = rangeValues(constNumbers(s)[0]!, constNumbers(l)[0]!, constNumbers(d)[0]!).length;
      if (n === 0) throw new Unsupported('an empty range (TVM has no zero-size tensors)');
      return [{ dtype, shape: [n] }];
    },
    fold(c) {
      const [s, l, d] = [0, 1, 2].map((i) => c.constInput(i));
      if (!s || !l || !d || isHalf(s.dtype)) return undefined;
      const dtype = c.attrs.dtype('Tidx') ?? s.dtype;
      const start = constNumbers(s)[0]!;
      const delta = constNumbers(d)[0]!;
      const vs = rangeValues(start, constNumbers(l)[0]!, delta);
      // TensorFlow's kernel accumulates in the output type (value += delta): float32 ranges add float32 steps.
      const round = dtype === 'float32' ? Math.fround : (x: number) => x;
      let acc = round(start);
      const out = vs.map(() => {
        const v = acc;
        acc = round(acc + round(delta));
        return v;
      });
      return [makeConst(dtype, [out.length], out)];
    },
  },
};
