// The matmul table (ir/tf/ops/matmul.ts): MatMul with its transposes,
// BatchMatMul's adjoints and batch broadcasting, and two-operand Einsum; the
// output types and the dense / batch_matmul products they lower to.

import { matmulOps } from '../../../../ir/tf/ops/matmul.js';
import { attr, DT, G } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build } from './contract.js';

const mm = (g: G, a: number[], b: number[], ta = false, tb = false, dt: number = DT.float): string =>
  g.op('mm', 'MatMul', [g.ph('a', a, dt), g.ph('b', b, dt)], { T: attr.type(dt), transpose_a: attr.b(ta), transpose_b: attr.b(tb) });

const bmm = (g: G, a: number[], b: number[], adjX = false, adjY = false, op = 'BatchMatMulV2', dt: number = DT.float, dtB = dt): string =>
  g.op('mm', op, [g.ph('a', a, dt), g.ph('b', b, dtB)], { T: attr.type(dt), adj_x: attr.b(adjX), adj_y: attr.b(adjY) });

const einsum = (g: G, equation: string, shapes: number[][], dts: number[] = shapes.map(() => DT.float)): string =>
  g.op(
    'e',
    'Einsum',
    shapes.map((s, i) => g.ph(`in${i}`, s, dts[i])),
    { equation: attr.s(equation), N: attr.i(shapes.length), T: attr.type(dts[0]!) },
  );

describe('MatMul', () => {
  test.each([
    ['no transpose', [2, 3], [3, 4], false, false, ['transpose', 'dense']],
    ['transpose_a', [3, 2], [3, 4], true, false, ['transpose', 'transpose', 'dense']],
    ['transpose_b', [2, 3], [4, 3], false, true, ['dense']],
    ['both', [3, 2], [4, 3], true, true, ['transpose', 'dense']],
  ] as const)('%s: [2, 4]', (_name, a, b, ta, tb, kinds) => {
    const g = new G();
    mm(g, [...a], [...b], ta, tb);
    const r = g.analyze();
    expect(r.shape('mm')).toEqual([2, 4]);
    // dense wants its weight [units, in]: a run-time B without transpose_b is transposed in the IR.
    expect(r.kinds('mm')).toEqual(kinds);
    expect(r.mark('mm')).toMatchObject({ ok: true, compute: true });
  });

  test('a constant B is transposed once at compile time into a [units, in] weight', () => {
    const g = new G();
    g.op('mm', 'MatMul', [g.ph('a', [2, 3]), g.const('w', [3, 2], [1, 2, 3, 4, 5, 6])]);
    const a = g.analyze();
    expect(a.kinds('mm')).toEqual(['dense']);
    const dense = a.instrs('mm')[0]!;
    const w = a.state.functions[0]!.fn.params.find((p) => p.id === dense.op.args[1]);
    expect(w?.type.shape).toEqual([2, 3]);
    expect(w && w.kind === 'weight' ? Array.from(new Float32Array(w.data.bytes.slice().buffer)) : undefined).toEqual([1, 3, 5, 2, 4, 6]);
  });
});

describe('BatchMatMul', () => {
  test.each([
    ['equal batches', [4, 2, 3], [4, 3, 5], false, false, [4, 2, 5]],
    ['adj_x', [4, 3, 2], [4, 3, 5], true, false, [4, 2, 5]],
    ['adj_y', [4, 2, 3], [4, 5, 3], false, true, [4, 2, 5]],
    ['adj_x and adj_y', [4, 3, 2], [4, 5, 3], true, true, [4, 2, 5]],
    ['rank 2 operands', [2, 3], [3, 5], false, false, [2, 5]],
    ['a batch of 1 broadcasts', [1, 2, 3], [4, 3, 5], false, false, [4, 2, 5]],
    ['a missing batch dimension broadcasts', [2, 6, 2, 3], [3, 5], false, false, [2, 6, 2, 5]],
    ['[3,1] x [1,3] broadcasts both ways', [3, 1, 4, 5], [1, 3, 5, 6], false, false, [3, 3, 4, 6]],
    ['rank 4 against rank 3', [1, 3, 4, 5], [3, 5, 6], false, false, [1, 3, 4, 6]],
  ] as const)('%s', (_name, a, b, adjX, adjY, out) => {
    const g = new G();
    bmm(g, [...a], [...b], adjX, adjY);
    expect(g.analyze().shape('mm')).toEqual(out);
  });

  test('equal batches lower to one batch_matmul with the adjoint as a transpose flag', () => {
    const g = new G();
    bmm(g, [4, 2, 3], [4, 5, 3], false, true);
    const a = g.analyze();
    expect(a.instrs('mm').map((i) => i.op)).toEqual([
      { kind: 'batch_matmul', args: [expect.any(Number), expect.any(Number)], transposeA: false, transposeB: true },
    ]);
  });

  test.each(['BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3'])('%s is a compute op', (op) => {
    const g = new G();
    bmm(g, [2, 2, 3], [2, 3, 4], false, false, op);
    expect(g.analyze().mark('mm')).toMatchObject({ ok: true, compute: true });
  });
});

describe('Einsum', () => {
  test.each([
    [
      'abc,cd->abd',
      [
        [2, 3, 4],
        [4, 5],
      ],
      [2, 3, 5],
    ],
    [
      'abcd,aecd->acbe',
      [
        [2, 3, 4, 5],
        [2, 6, 4, 5],
      ],
      [2, 4, 3, 6],
    ],
    [
      'ij,kj->ik',
      [
        [2, 3],
        [4, 3],
      ],
      [2, 4],
    ],
    [
      'bij,bjk->bki',
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
      [2, 5, 3],
    ],
  ] as const)('%s', (eq, shapes, out) => {
    const g = new G();
    einsum(
      g,
      eq,
      shapes.map((s) => [...s]),
    );
    const a = g.analyze();
    expect(a.shape('e')).toEqual(out);
    expect(a.mark('e')).toMatchObject({ ok: true, compute: true });
  });
});

test('BatchMatMulV3 of int8 and uint8 operands casts both to its int32 Tout and multiplies there', () => {
  const g = new G();
  g.op('mm', 'BatchMatMulV3', [g.ph('a', [2, 3, 4], DT.int8), g.ph('b', [2, 4, 5], DT.uint8)], {
    Ta: attr.type(DT.int8),
    Tb: attr.type(DT.uint8),
    Tout: attr.type(DT.int32),
  });
  const a = g.analyze();
  expect(a.mark('mm')).toMatchObject({ ok: true, compute: true });
  expect(a.types('mm').outputs[0]).toEqual({ dtype: 'int32', shape: [2, 3, 5] });
  expect(a.kinds('mm')).toEqual(['cast', 'cast', 'batch_matmul']);
  expect(a.instrs('mm').map((i) => i.type.dtype)).toEqual(['int32', 'int32', 'int32']);
});

const bmmRefusals = (op: string): Record<string, Build> => ({
  'operands of different dtypes': (g) => bmm(g, [2, 2, 3], [2, 3, 4], false, false, op, DT.float, DT.double),
  'an operand of rank below 2': (g) => bmm(g, [3], [3, 4], false, false, op),
  'inner dimensions that differ': (g) => bmm(g, [2, 2, 3], [2, 4, 4], false, false, op),
  'batch dimensions that do not broadcast': (g) => bmm(g, [2, 4, 5], [3, 5, 6], false, false, op),
  'more than 20 batch dimensions': (g) => bmm(g, [...new Array<number>(21).fill(1), 2, 3], [3, 4], false, false, op),
});

refusalContract(matmulOps, {
  LSTMBlockCell: {
    'x not of rank 2': (g) => lstm(g, DT.float, { 0: [2, 3, 1] }),
    "states, weights or biases whose shapes do not fit x's and the cell's sizes": (g) => lstm(g, DT.float, { 7: [15] }),
    "inputs of a dtype other than x's": (g) => lstm(g, DT.float, {}, { 1: DT.double }),
  },
  MatMul: {
    'operands not of rank 2': (g) => mm(g, [2, 2, 3], [3, 4]),
    'inner dimensions that differ': (g) => mm(g, [2, 3], [4, 4]),
  },
  BatchMatMul: bmmRefusals('BatchMatMul'),
  BatchMatMulV2: bmmRefusals('BatchMatMulV2'),
  BatchMatMulV3: {
    ...Object.fromEntries(Object.entries(bmmRefusals('BatchMatMulV3')).filter(([k]) => k !== 'operands of different dtypes')),
    'operands of different dtypes (other than int8 with uint8)': (g) =>
      bmm(g, [2, 2, 3], [2, 3, 4], false, false, 'BatchMatMulV3', DT.int8, DT.int32),
    "a Tout other than the operands' dtype (int32 for int8 / uint8 operands)": (g) =>
      g.op('mm', 'BatchMatMulV3', [g.ph('a', [2, 2, 3], DT.int8), g.ph('b', [2, 3, 4], DT.uint8)], {
        Ta: attr.type(DT.int8),
        Tb: attr.type(DT.uint8),
        Tout: attr.type(DT.int64),
      }),
  },
  Einsum: {
    'other than two operands': (g) =>
      einsum(g, 'ij,jk,kl->il', [
        [2, 3],
        [3, 4],
        [4, 5],
      ]),
    'operands of different dtypes': (g) =>
      einsum(
        g,
        'ij,jk->ik',
        [
          [2, 3],
          [3, 4],
        ],
        [DT.float, DT.double],
      ),
    'an equation with an ellipsis (...)': (g) =>
      einsum(g, '...ij,jk->...ik', [
        [2, 3],
        [3, 4],
      ]),
    'an equation without an explicit output (x,y->z)': (g) =>
      einsum(g, 'ij,jk', [
        [2, 3],
        [3, 4],
      ]),
    'an operand whose rank differs from its labels': (g) =>
      einsum(g, 'ijk,jk->ik', [
        [2, 3],
        [3, 4],
      ]),
    'a repeated label (a diagonal)': (g) =>
      einsum(g, 'ij,jj->i', [
        [2, 3],
        [3, 3],
      ]),
    'a label of two different sizes': (g) =>
      einsum(g, 'ij,jk->ik', [
        [2, 3],
        [4, 5],
      ]),
    'an output label in no operand': (g) =>
      einsum(g, 'ij,jk->iz', [
        [2, 3],
        [3, 4],
      ]),
    'a label summed over one operand only': (g) =>
      einsum(g, 'ij,jk->k', [
        [2, 3],
        [3, 4],
      ]),
  },
});
/** LSTMBlockCell with batch 2, input 3, cell 4 (shapes overridable by input index). */
function lstm(g: G, dt: number = DT.float, shapes: Record<number, number[]> = {}, dts: Record<number, number> = {}, extra = {}): string {
  const names = ['x', 'cs_prev', 'h_prev', 'w', 'wci', 'wcf', 'wco', 'b'];
  const base = [[2, 3], [2, 4], [2, 4], [7, 16], [4], [4], [4], [16]];
  const ins = names.map((n, i) => (n === 'w' && !shapes[i] ? g.weight('w', base[i]!) : g.ph(n, shapes[i] ?? base[i]!, dts[i] ?? dt)));
  return g.op('cell', 'LSTMBlockCell', ins, { T: attr.type(dt), ...extra });
}

test('LSTMBlockCell: one dense product of [x, h_prev], then the gates elementwise; seven outputs', () => {
  const g = new G();
  lstm(g, DT.float, {}, {}, { use_peephole: attr.b(true), cell_clip: attr.f(0.5) });
  const a = g.analyze();
  expect(a.types('cell').outputs).toHaveLength(7);
  for (const t of a.types('cell').outputs) expect(t).toEqual({ dtype: 'float32', shape: [2, 4] });
  const kinds = a.kinds('cell');
  expect(kinds.slice(0, 3)).toEqual(['concat', 'dense', 'bias_add']);
  expect(kinds).toContain('clip');
  expect(kinds.filter((k) => k === 'unary.sigmoid')).toHaveLength(3);
  expect(kinds.filter((k) => k === 'unary.tanh')).toHaveLength(2);
  const n = new G();
  lstm(n, DT.float, {}, {}, { cell_clip: attr.f(-1) });
  expect(n.analyze().kinds('cell')).not.toContain('clip');
});

dtypeContract(matmulOps, {
  LSTMBlockCell: (g, dt) => lstm(g, dt),
  MatMul: (g, dt) => mm(g, [2, 3], [3, 4], false, false, dt),
  BatchMatMul: (g, dt) => bmm(g, [2, 2, 3], [2, 3, 4], false, false, 'BatchMatMul', dt),
  BatchMatMulV2: (g, dt) => bmm(g, [2, 2, 3], [2, 3, 4], false, false, 'BatchMatMulV2', dt),
  BatchMatMulV3: (g, dt) => bmm(g, [2, 2, 3], [2, 3, 4], false, false, 'BatchMatMulV3', dt),
  Einsum: (g, dt) =>
    einsum(
      g,
      'ij,jk->ik',
      [
        [2, 3],
        [3, 4],
      ],
      [dt, dt],
    ),
});
