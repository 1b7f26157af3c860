// MatMul, BatchMatMul{,V2,V3} and two-operand Einsum. MatMul becomes `dense`
// with its weight laid out [units, in] (constant weights are transposed here,
// once, at compile time). Batched products and Einsum share one plan
// (planEinsum): transposes and reshapes around one dense or rank-3
// batch_matmul; BatchMatMul is written as an einsum first (batchMatMulEinsum),
// which turns any batch broadcast into free dimensions.
// LSTMBlockCell is one step of an LSTM: a dense product of [x, h_prev] with
// the gate weights, then the gates (i, ci, f, o: sigmoid, tanh, sigmoid with
// forget_bias, sigmoid), the cell state (clipped to +-cell_clip when it is
// positive) and h, elementwise, with the peephole terms when use_peephole.

import type { ValueId } from '../../ops.js';
import { broadcastShapes, sameShape, type DType, type TensorType } from '../../types.js';
import { makeConst, reshapeConst, transpose2d, transposeConst, type ConstTensor } from '../consts.js';
import { Unsupported, type LowerCtx, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { BF16_FLOAT_DTYPES, input, inputOf } from './common.js';

/** Float data, and the integer dtypes TensorFlow's CPU MatMul / BatchMatMul kernels take (exact, wrapping as TF's). */
const MATMUL_DTYPES: readonly DType[] = [...BF16_FLOAT_DTYPES, 'int32', 'int64'];
/** BatchMatMulV2 and V3 have an int16 kernel too. */
const BATCH_MATMUL_V2_DTYPES: readonly DType[] = [...MATMUL_DTYPES, 'int16'];
const matmulInput = (c: NodeCtx, i: number, dtypes: readonly DType[] = MATMUL_DTYPES): TensorType => inputOf(c, i, dtypes);

function transposed(c: LowerCtx, v: ValueId, t: TensorType): ValueId {
  return c.emit({ kind: 'transpose', args: [v], perm: [1, 0] }, { dtype: t.dtype, shape: [t.shape[1]!, t.shape[0]!] });
}

const matMul: TfOpDef = {
  category: 'matmul',
  compute: true,
  dtypes: MATMUL_DTYPES,
  refuses: [
    { variant: 'operands not of rank 2', reason: 'unsupported-variant' },
    { variant: 'inner dimensions that differ', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const a = matmulInput(c, 0);
    const b = matmulInput(c, 1);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new Unsupported('operands must be rank 2');
    const ta = c.attrs.bool('transpose_a');
    const tb = c.attrs.bool('transpose_b');
    const [m, k1] = ta ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = tb ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (k1 !== k2) throw new Unsupported(`inner dimensions ${k1} and ${k2} differ`);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  lower(c) {
    const a = c.inputs[0]!;
    const b = c.inputs[1]!;
    const x = c.attrs.bool('transpose_a') ? transposed(c, c.value(0), a) : c.value(0);
    const tb = c.attrs.bool('transpose_b');
    const bConst = c.constInput(1);
    let w: ValueId;
    if (bConst) w = tb ? c.value(1) : c.weight(transpose2d(bConst), 'T');
    else w = tb ? c.value(1) : transposed(c, c.value(1), b);
    return [c.emit({ kind: 'dense', args: [x, w] }, c.outputs[0]!)];
  },
};

/**
 * BatchMatMul as an einsum: batch dimension i is label i, the matrix
 * dimensions are x (M), y (K) and z (N). A batch dimension both operands have
 * with one size is shared; one that only an operand has, or where the other
 * operand has 1 (a broadcast), is that operand's own and becomes part of its
 * free dimensions, with the other's size-1 dimension reshaped away. So any
 * TensorFlow broadcast ([4,1] x [3], [3,1] x [1,3]) is one matrix product.
 */
export function batchMatMulEinsum(
  a: readonly number[],
  b: readonly number[],
  adjX: boolean,
  adjY: boolean,
): { equation: string; shapeA: number[]; shapeB: number[] } {
  const ab = a.slice(0, -2);
  const bb = b.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  if (n > 20) throw new Unsupported(`${n} batch dimensions`);
  let la = '';
  let lb = '';
  const shapeA: number[] = [];
  const shapeB: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = String.fromCharCode(97 + i);
    const x = ab[ab.length - n + i];
    const y = bb[bb.length - n + i];
    if (x !== undefined && y !== undefined && x !== y && x !== 1 && y !== 1) {
      throw new Unsupported(`batch dimensions [${ab}] and [${bb}] do not broadcast`);
    }
    // A batch dimension of size 1 in the result is no product dimension at
    // all: it is dropped here and comes back with the final reshape.
    if ((x ?? 1) === 1 && (y ?? 1) === 1) continue;
    // Keep a dimension unless it is a 1 broadcast against the other operand.
    const keepA = x !== undefined && (y === undefined || x === y || y === 1);
    const keepB = y !== undefined && (x === undefined || x === y || x === 1);
    if (keepA) {
      la += l;
      shapeA.push(x);
    }
    if (keepB) {
      lb += l;
      shapeB.push(y);
    }
  }
  const [ra, rb] = [a.length, b.length];
  shapeA.push(a[ra - 2]!, a[ra - 1]!);
  shapeB.push(b[rb - 2]!, b[rb - 1]!);
  const batch = [...new Set(la + lb)].sort().join('');
  return { equation: `${la}${adjX ? 'yx' : 'xy'},${lb}${adjY ? 'zy' : 'yz'}->${batch}xz`, shapeA, shapeB };
}

/** BatchMatMulV3's 8-bit operands (Ta and Tb, mixed too): TensorFlow's kernels cast them to Tout, int32, and multiply there. */
const V3_INT8_DTYPES: readonly DType[] = ['int8', 'uint8'];

/** The product's dtype: the operands', or BatchMatMulV3's int32 Tout of 8-bit operands. */
function batchMatMulDtype(c: NodeCtx, dtypes: readonly DType[]): DType {
  const a = matmulInput(c, 0, dtypes);
  const b = matmulInput(c, 1, dtypes);
  const tout = c.attrs.has('Tout') ? c.attrs.dtype('Tout') : a.dtype;
  if (V3_INT8_DTYPES.includes(a.dtype) || V3_INT8_DTYPES.includes(b.dtype)) {
    if (!V3_INT8_DTYPES.includes(a.dtype) || !V3_INT8_DTYPES.includes(b.dtype)) throw new Unsupported(`dtypes ${a.dtype} and ${b.dtype}`);
    if (tout !== 'int32') throw new Unsupported(`Tout ${tout ?? 'of no IR dtype'} of 8-bit operands (TensorFlow's is int32)`);
    return tout;
  }
  if (a.dtype !== b.dtype) throw new Unsupported(`dtypes ${a.dtype} and ${b.dtype} differ`);
  // BatchMatMulV3's Tout: otherwise the product is computed and returned in the operands' dtype only.
  if (tout !== a.dtype) throw new Unsupported(`Tout ${tout ?? 'of no IR dtype'} differs from the operands' ${a.dtype}`);
  return tout;
}

function batchMatMulPlan(c: NodeCtx, dtypes: readonly DType[]): { plan: EinsumPlan; shapes: [number[], number[]] } {
  batchMatMulDtype(c, dtypes);
  const [a, b] = [input(c, 0), input(c, 1)];
  if (a.shape.length < 2 || b.shape.length < 2) throw new Unsupported('operands must be at least rank 2');
  const ta = c.attrs.bool('adj_x');
  const tb = c.attrs.bool('adj_y');
  const ra = a.shape.length;
  const rb = b.shape.length;
  const k1 = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  if (k1 !== k2) throw new Unsupported(`inner dimensions ${k1} and ${k2} differ`);
  const e = batchMatMulEinsum(a.shape, b.shape, ta, tb);
  const plan = planEinsum(e.equation, e.shapeA, e.shapeB, c.constInput(0) !== undefined, c.constInput(1) !== undefined);
  return { plan, shapes: [e.shapeA, e.shapeB] };
}

/** BatchMatMul, V2 and V3 (`v3`: with its Tout attribute). */
const batchMatMul = (dtypes: readonly DType[], v3 = false): TfOpDef => ({
  category: 'matmul',
  compute: true,
  dtypes,
  refuses: [
    { variant: v3 ? 'operands of different dtypes (other than int8 with uint8)' : 'operands of different dtypes', reason: 'unsupported-variant' },
    ...(v3 ? [{ variant: "a Tout other than the operands' dtype (int32 for int8 / uint8 operands)", reason: 'unsupported-variant' as const }] : []),
    { variant: 'an operand of rank below 2', reason: 'unsupported-variant' },
    { variant: 'inner dimensions that differ', reason: 'unsupported-variant' },
    { variant: 'batch dimensions that do not broadcast', reason: 'unsupported-variant' },
    { variant: 'more than 20 batch dimensions', reason: 'unsupported-variant' },
  ],
  infer(c) {
    batchMatMulPlan(c, dtypes); // refuses what the lowering cannot do (dtypes, ranks, K, batches)
    const dtype = batchMatMulDtype(c, dtypes);
    const [a, b] = [c.inputs[0]!, c.inputs[1]!];
    const [ra, rb] = [a.shape.length, b.shape.length];
    const m = c.attrs.bool('adj_x') ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const n = c.attrs.bool('adj_y') ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2))!;
    return [{ dtype, shape: [...batch, m, n] }];
  },
  lower(c) {
    const { plan, shapes } = batchMatMulPlan(c, dtypes);
    const out = c.outputs[0]!;
    const v = lowerProduct(c, plan, shapes);
    // The product lacks the result's size-1 batch dimensions.
    return [sameShape(plan.outShape, out.shape) ? v : c.emit({ kind: 'reshape', args: [v], shape: out.shape }, out)];
  },
});

/**
 * How a two-operand einsum without ellipsis, repeated or summed-out labels
 * (the equations Keras EinsumDense and MultiHeadAttention freeze to, such as
 * 'abc,cde->abde' or 'aecd,abcd->acbe') maps onto one matrix product.
 *
 * Labels are sorted into batch (both operands and the output), contracted
 * (both operands only) and free (one operand and the output). Operand X is
 * brought to [batch, freeX, contract] and flattened to [B, M, K]; operand Y to
 * [batch, freeY, contract] ([B, N, K], transposeB) or [batch, contract, freeY]
 * ([B, K, N]), whichever needs no transpose. The product [B, M, N] is reshaped
 * to [batch..., freeX..., freeY...] and transposed to the output's order.
 * Without batch labels the product is a dense layer (Y as the [N, K] weight).
 * X and Y are the inputs in order, or swapped when that saves transposes.
 */
export interface EinsumPlan {
  /** X is input 1 and Y input 0. */
  readonly swap: boolean;
  /** X's dimensions in [batch, freeX, contract] order. */
  readonly permX: readonly number[];
  /** Y's dimensions in [batch, freeY, contract] (transposeY) or [batch, contract, freeY] order. */
  readonly permY: readonly number[];
  readonly transposeY: boolean;
  /** Sizes of the flattened product: batch B (0 = dense, no batch), M, N, K. */
  readonly b: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** [batch..., freeX..., freeY...] sizes: the product before the output permutation. */
  readonly productShape: readonly number[];
  /** Output dimension i is productShape's dimension outPerm[i]. */
  readonly outPerm: readonly number[];
  readonly outShape: readonly number[];
}

const isIdentity = (p: readonly number[]): boolean => p.every((v, i) => v === i);

export function planEinsum(equation: string, shapeA: readonly number[], shapeB: readonly number[], constA = false, constB = false): EinsumPlan {
  const fail = (why: string): never => {
    throw new Unsupported(`Einsum '${equation}': ${why}`);
  };
  const eq = equation.replace(/\s+/g, '');
  const m = /^([A-Za-z]*),([A-Za-z]*)->([A-Za-z]*)$/.exec(eq);
  if (!m) {
    if (eq.includes('.')) fail('ellipsis (...) is not supported');
    fail('only two operands with an explicit output (x,y->z) are supported');
  }
  const [la, lb, lo] = [m![1]!, m![2]!, m![3]!];
  if (la.length !== shapeA.length) fail(`operand 0 has rank ${shapeA.length}, the equation names ${la.length} labels`);
  if (lb.length !== shapeB.length) fail(`operand 1 has rank ${shapeB.length}, the equation names ${lb.length} labels`);
  for (const [name, labels] of [
    ['operand 0', la],
    ['operand 1', lb],
    ['the output', lo],
  ] as const) {
    if (new Set(labels).size !== labels.length) fail(`${name} repeats a label (diagonals are not supported)`);
  }
  const size = new Map<string, number>();
  [...la].forEach((l, i) => size.set(l, shapeA[i]!));
  [...lb].forEach((l, i) => {
    const d = shapeB[i]!;
    if (size.has(l) && size.get(l) !== d) fail(`label ${l} is ${size.get(l)} in operand 0 and ${d} in operand 1`);
    size.set(l, d);
  });
  for (const l of lo) if (!size.has(l)) fail(`output label ${l} is in no operand`);
  for (const l of la + lb) {
    if (!lo.includes(l) && !(la.includes(l) && lb.includes(l))) fail(`label ${l} is summed over one operand only`);
  }

  const sizes = (ls: readonly string[]): number[] => ls.map((l) => size.get(l)!);
  const prod = (ls: readonly string[]): number => ls.reduce((p, l) => p * size.get(l)!, 1);
  const plan = (lx: string, ly: string, cx: boolean, cy: boolean, swap: boolean): EinsumPlan & { cost: number } => {
    const batch = [...lo].filter((l) => lx.includes(l) && ly.includes(l));
    const contract = [...lx].filter((l) => ly.includes(l) && !lo.includes(l));
    const freeX = [...lo].filter((l) => lx.includes(l) && !ly.includes(l));
    const freeY = [...lo].filter((l) => ly.includes(l) && !lx.includes(l));
    const permOf = (labels: string, order: readonly string[]): number[] => order.map((l) => labels.indexOf(l));
    const permX = permOf(lx, [...batch, ...freeX, ...contract]);
    const yNT = permOf(ly, [...batch, ...freeY, ...contract]);
    const yNN = permOf(ly, [...batch, ...contract, ...freeY]);
    // dense wants its weight [N, K]; batch_matmul takes Y either way round.
    const transposeY = batch.length === 0 || isIdentity(yNT) || !isIdentity(yNN);
    const permY = transposeY ? yNT : yNN;
    const product = [...batch, ...freeX, ...freeY];
    const outPerm = [...lo].map((l) => product.indexOf(l));
    // Transposes of constants happen at compile time and cost nothing. A dense
    // layer whose weight is the run-time operand while the other one is
    // constant loses TVM's packed-weight schedule: worse than two transposes.
    const runtimeWeight = batch.length === 0 && cx && !cy ? 2 : 0;
    const cost = Number(!isIdentity(permX) && !cx) + Number(!isIdentity(permY) && !cy) + Number(!isIdentity(outPerm)) + runtimeWeight;
    return {
      swap,
      permX,
      permY,
      transposeY,
      b: batch.length === 0 ? 0 : prod(batch),
      m: prod(freeX),
      n: prod(freeY),
      k: prod(contract),
      productShape: sizes(product),
      outPerm,
      outShape: sizes([...lo]),
      cost,
    };
  };
  const straight = plan(la, lb, constA, constB, false);
  const swapped = plan(lb, la, constB, constA, true);
  const { cost: _cost, ...best } = swapped.cost < straight.cost ? swapped : straight;
  return best;
}

function einsumPlanOf(c: NodeCtx): EinsumPlan {
  if (c.inputs.length !== 2) throw new Unsupported(`Einsum with ${c.inputs.length} operands (only 2 are supported)`);
  const a = inputOf(c, 0, MATMUL_DTYPES);
  const b = inputOf(c, 1, MATMUL_DTYPES);
  if (a.dtype !== b.dtype) throw new Unsupported(`dtypes ${a.dtype} and ${b.dtype} differ`);
  return planEinsum(c.attrs.str('equation'), a.shape, b.shape, c.constInput(0) !== undefined, c.constInput(1) !== undefined);
}

/**
 * The IR of a planned product. `shapes` are the operands as the equation
 * labels them: the inputs' shapes, or reshapes of them that drop size-1
 * dimensions (BatchMatMul's broadcasts).
 */
function lowerProduct(c: LowerCtx, p: EinsumPlan, shapes: readonly [readonly number[], readonly number[]]): ValueId {
  const out = c.outputs[0]!;
  const dtype = out.dtype;
  const [ix, iy] = p.swap ? [1, 0] : [0, 1];
  /** Operand i relabelled, permuted and flattened to `flat`: constants at compile time, values with IR ops. */
  // An operand of another dtype than the product (BatchMatMulV3's int8 / uint8 -> int32) is cast to it first.
  const cast = (i: number, id: ValueId, shape: readonly number[]): ValueId =>
    c.inputs[i]!.dtype === dtype ? id : c.emit({ kind: 'cast', args: [id], dtype }, { dtype, shape: [...shape] });
  const operand = (i: number, perm: readonly number[], flat: number[]): ValueId => {
    const labelled = shapes[i]!;
    const v = c.constInput(i);
    if (v) {
      const t = reshapeConst(v, labelled);
      return cast(i, c.weight(reshapeConst(isIdentity(perm) ? t : transposeConst(t, perm), flat), `operand${i}`), flat);
    }
    let id = cast(i, c.value(i), c.inputs[i]!.shape);
    const reshape = (to: readonly number[]): ValueId => c.emit({ kind: 'reshape', args: [id], shape: [...to] }, { dtype, shape: [...to] });
    if (!sameShape(c.inputs[i]!.shape, labelled)) id = reshape(labelled);
    const permuted = perm.map((d) => labelled[d]!);
    if (!isIdentity(perm)) id = c.emit({ kind: 'transpose', args: [id], perm }, { dtype, shape: permuted });
    return sameShape(permuted, flat) ? id : reshape(flat);
  };
  let product: ValueId;
  if (p.b === 0) {
    const x = operand(ix, p.permX, [p.m, p.k]);
    const w = operand(iy, p.permY, [p.n, p.k]);
    product = c.emit({ kind: 'dense', args: [x, w] }, { dtype, shape: [p.m, p.n] });
  } else {
    const x = operand(ix, p.permX, [p.b, p.m, p.k]);
    const y = operand(iy, p.permY, p.transposeY ? [p.b, p.n, p.k] : [p.b, p.k, p.n]);
    product = c.emit({ kind: 'batch_matmul', args: [x, y], transposeA: false, transposeB: p.transposeY }, { dtype, shape: [p.b, p.m, p.n] });
  }
  const flatShape = p.b === 0 ? [p.m, p.n] : [p.b, p.m, p.n];
  const unflat = sameShape(p.productShape, flatShape)
    ? product
    : c.emit({ kind: 'reshape', args: [product], shape: [...p.productShape] }, { dtype, shape: [...p.productShape] });
  return isIdentity(p.outPerm) ? unflat : c.emit({ kind: 'transpose', args: [unflat], perm: [...p.outPerm] }, { dtype, shape: [...p.outShape] });
}

const einsum: TfOpDef = {
  category: 'matmul',
  compute: true,
  dtypes: MATMUL_DTYPES,
  refuses: [
    { variant: 'other than two operands', reason: 'unsupported-variant' },
    { variant: 'operands of different dtypes', reason: 'unsupported-variant' },
    { variant: 'an equation with an ellipsis (...)', reason: 'unsupported-variant' },
    { variant: 'an equation without an explicit output (x,y->z)', reason: 'unsupported-variant' },
    { variant: 'an operand whose rank differs from its labels', reason: 'unsupported-variant' },
    { variant: 'a repeated label (a diagonal)', reason: 'unsupported-variant' },
    { variant: 'a label of two different sizes', reason: 'unsupported-variant' },
    { variant: 'an output label in no operand', reason: 'unsupported-variant' },
    { variant: 'a label summed over one operand only', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const p = einsumPlanOf(c);
    return [{ dtype: c.inputs[0]!.dtype, shape: [...p.outShape] }];
  },
  lower(c) {
    const a = c.inputs[0]!;
    const b = c.inputs[1]!;
    return [lowerProduct(c, einsumPlanOf(c), [a.shape, b.shape])];
  },
};

const LSTM_DTYPES: readonly DType[] = ['float32', 'float16'];

/** LSTMBlockCell's batch, input and cell sizes, its inputs checked against them. */
function lstmSizes(c: NodeCtx): { batch: number; inSize: number; cell: number; dtype: DType } {
  const x = inputOf(c, 0, LSTM_DTYPES);
  const shapes = [1, 2, 3, 4, 5, 6, 7].map((i) => inputOf(c, i, [x.dtype]).shape);
  if (x.shape.length !== 2) throw new Unsupported('x must be rank 2');
  const [batch, inSize] = [x.shape[0]!, x.shape[1]!];
  const cell = shapes[0]![1] ?? 0;
  const want = [[batch, cell], [batch, cell], [inSize + cell, 4 * cell], [cell], [cell], [cell], [4 * cell]];
  shapes.forEach((s, k) => {
    if (s.length !== want[k]!.length || s.some((d, i) => d !== want[k]![i]))
      throw new Unsupported(`input ${k + 1} has shape [${s}], not [${want[k]!}] (batch ${batch}, input ${inSize}, cell ${cell})`);
  });
  return { batch, inSize, cell, dtype: x.dtype };
}

const lstmBlockCell: TfOpDef = {
  category: 'matmul',
  compute: true,
  dtypes: LSTM_DTYPES,
  refuses: [
    { variant: 'x not of rank 2', reason: 'unsupported-variant' },
    { variant: "states, weights or biases whose shapes do not fit x's and the cell's sizes", reason: 'unsupported-variant' },
    { variant: "inputs of a dtype other than x's", reason: 'unsupported-dtype' },
  ],
  infer(c) {
    const { batch, cell, dtype } = lstmSizes(c);
    return Array.from({ length: 7 }, () => ({ dtype, shape: [batch, cell] }));
  },
  lower(c) {
    const { batch, inSize, cell, dtype } = lstmSizes(c);
    const t = (n: number): TensorType => ({ dtype, shape: [batch, n] });
    const xh = c.emit({ kind: 'concat', args: [c.value(0), c.value(2)], axis: 1 }, t(inSize + cell));
    const wConst = c.constInput(3);
    const w = wConst ? c.weight(transpose2d(wConst), 'T') : transposed(c, c.value(3), input(c, 3));
    const gates = c.emit({ kind: 'bias_add', args: [c.emit({ kind: 'dense', args: [xh, w] }, t(4 * cell)), c.value(7)], axis: 1 }, t(4 * cell));
    const gate = (k: number): ValueId =>
      c.emit({ kind: 'strided_slice', args: [gates], begin: [0, k * cell], end: [batch, (k + 1) * cell], strides: [1, 1] }, t(cell));
    const bin = (fn: 'add' | 'mul', a: ValueId, b: ValueId): ValueId => c.emit({ kind: 'binary', fn, args: [a, b] }, t(cell));
    const un = (fn: 'sigmoid' | 'tanh', a: ValueId): ValueId => c.emit({ kind: 'unary', fn, args: [a] }, t(cell));
    const peephole = c.attrs.bool('use_peephole');
    const csPrev = c.value(1);
    const peep = (g: ValueId, state: ValueId, wi: number): ValueId => (peephole ? bin('add', g, bin('mul', state, c.value(wi))) : g);
    const i = un('sigmoid', peep(gate(0), csPrev, 4));
    const ci = un('tanh', gate(1));
    const forgetBias = c.attrs.float('forget_bias', 1);
    let fPre = peep(gate(2), csPrev, 5);
    if (forgetBias !== 0) fPre = bin('add', fPre, c.weight(halfSafeScalar(dtype, forgetBias), 'forget_bias'));
    const f = un('sigmoid', fPre);
    let cs = bin('add', bin('mul', ci, i), bin('mul', csPrev, f));
    const clip = c.attrs.float('cell_clip', 3);
    if (clip > 0) cs = c.emit({ kind: 'clip', args: [cs], min: -clip, max: clip }, t(cell));
    const o = un('sigmoid', peep(gate(3), cs, 6));
    const co = un('tanh', cs);
    const h = bin('mul', co, o);
    return [i, cs, f, o, ci, co, h];
  },
};

/** A scalar constant of a float dtype (float16 as its bit pattern). */
function halfSafeScalar(dtype: DType, v: number): ConstTensor {
  if (dtype !== 'float16') return makeConst(dtype, [], [v]);
  return { dtype, shape: [], data: Uint16Array.of(float16Bits(v)) };
}

export const matmulOps: OpTable = {
  LSTMBlockCell: lstmBlockCell,
  MatMul: matMul,
  BatchMatMul: batchMatMul(MATMUL_DTYPES),
  BatchMatMulV2: batchMatMul(BATCH_MATMUL_V2_DTYPES),
  // V3 has no float16 CPU kernel; its int8 / uint8 ones (Ta, Tb) multiply in their int32 Tout.
  BatchMatMulV3: batchMatMul([...BATCH_MATMUL_V2_DTYPES.filter((d) => d !== 'float16'), ...V3_INT8_DTYPES], true),
  Einsum: einsum,
};

/** The float16 bit pattern of v (round to nearest even, through float32). */
export function float16Bits(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (((x >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  if (e >= 31) return sign | 0x7c00;
  const round = (h: number, rem: number, half: number): number => (rem > half || (rem === half && (h & 1) === 1) ? h + 1 : h);
  if (e <= 0) {
    if (e < -10) return sign;
    m |= 0x800000;
    const shift = 14 - e;
    return sign | round(m >>> shift, m & ((1 << shift) - 1), 1 << (shift - 1));
  }
  return sign | round((e << 10) | (m >>> 13), m & 0x1fff, 0x1000);
}
