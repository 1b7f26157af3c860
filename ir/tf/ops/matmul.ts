// MatMul and BatchMatMul{,V2,V3}. MatMul becomes `dense` with its weight laid
// out [units, in] (constant weights are transposed here, once, at compile
// time); batched products become rank-3 batch_matmul with explicit flags.

import type { ValueId } from '../../ops.js';
import { numElements, type TensorType } from '../../types.js';
import { transpose2d } from '../consts.js';
import { Unsupported, type LowerCtx, type OpTable, type TfOpDef } from '../registry.js';
import { floatInput } from './common.js';

function transposed(c: LowerCtx, v: ValueId, t: TensorType): ValueId {
  return c.emit({ kind: 'transpose', args: [v], perm: [1, 0] }, { dtype: t.dtype, shape: [t.shape[1]!, t.shape[0]!] });
}

const matMul: TfOpDef = {
  category: 'matmul',
  compute: true,
  infer(c) {
    const a = floatInput(c, 0);
    const b = floatInput(c, 1);
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

/** Batch dims of both operands, and the broadcast batch of the result. */
function batchShapes(a: TensorType, b: TensorType): { out: number[]; aBatch: number; bBatch: number } {
  const ab = a.shape.slice(0, -2);
  const bb = b.shape.slice(0, -2);
  const n = Math.max(ab.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = ab[ab.length - n + i] ?? 1;
    const y = bb[bb.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Unsupported(`batch dimensions ${ab} and ${bb} do not broadcast`);
    out.push(Math.max(x, y));
  }
  const aBatch = numElements(ab);
  const bBatch = numElements(bb);
  // batch_matmul broadcasts only a whole batch of 1; other partial broadcasts stay in TF.
  if (aBatch !== bBatch && aBatch !== 1 && bBatch !== 1) throw new Unsupported('partial batch broadcasting');
  return { out, aBatch, bBatch };
}

const batchMatMul: TfOpDef = {
  category: 'matmul',
  compute: true,
  infer(c) {
    const a = floatInput(c, 0);
    const b = floatInput(c, 1);
    if (a.shape.length < 2 || b.shape.length < 2) throw new Unsupported('operands must be at least rank 2');
    const ta = c.attrs.bool('adj_x');
    const tb = c.attrs.bool('adj_y');
    const ra = a.shape.length;
    const rb = b.shape.length;
    const [m, k1] = ta ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
    const [k2, n] = tb ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
    if (k1 !== k2) throw new Unsupported(`inner dimensions ${k1} and ${k2} differ`);
    return [{ dtype: a.dtype, shape: [...batchShapes(a, b).out, m, n] }];
  },
  lower(c) {
    const a = c.inputs[0]!;
    const b = c.inputs[1]!;
    const { aBatch, bBatch } = batchShapes(a, b);
    const to3 = (v: ValueId, t: TensorType, batch: number): ValueId => {
      const r = t.shape.length;
      const shape = [batch, t.shape[r - 2]!, t.shape[r - 1]!];
      return r === 3 ? v : c.emit({ kind: 'reshape', args: [v], shape }, { dtype: t.dtype, shape });
    };
    const out = c.outputs[0]!;
    const r = out.shape.length;
    const shape3 = [Math.max(aBatch, bBatch), out.shape[r - 2]!, out.shape[r - 1]!];
    const mm = c.emit(
      {
        kind: 'batch_matmul',
        args: [to3(c.value(0), a, aBatch), to3(c.value(1), b, bBatch)],
        transposeA: c.attrs.bool('adj_x'),
        transposeB: c.attrs.bool('adj_y'),
      },
      { dtype: out.dtype, shape: shape3 },
    );
    return [r === 3 ? mm : c.emit({ kind: 'reshape', args: [mm], shape: out.shape }, out)];
  },
};

export const matmulOps: OpTable = {
  MatMul: matMul,
  BatchMatMul: batchMatMul,
  BatchMatMulV2: batchMatMul,
  BatchMatMulV3: batchMatMul,
};
