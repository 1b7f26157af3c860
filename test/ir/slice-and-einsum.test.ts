// Pure index arithmetic of the op tables: TensorFlow's StridedSlice spec and
// the Einsum -> matrix product plan. Expected values are worked out by hand
// from TensorFlow's documented semantics (numpy slicing for StridedSlice).

import { resolveStridedSlice, SliceSpecError, type SliceMasks } from '../../ir/tf/slice-spec.js';
import { batchMatMulEinsum, planEinsum } from '../../ir/tf/ops/matmul.js';
import { Unsupported } from '../../ir/tf/registry.js';

const none: SliceMasks = { begin: 0, end: 0, ellipsis: 0, newAxis: 0, shrinkAxis: 0 };

describe('resolveStridedSlice', () => {
  test.each([
    // name, shape, begin, end, strides, masks, want begin, want end, slice shape, final shape
    ['x[1:4:2, 0:6:2]', [5, 6], [1, 0], [4, 6], [2, 2], {}, [1, 0], [4, 6], [2, 3], [2, 3]],
    ['x[-4:-1, -5:100:3]', [5, 6], [-4, -5], [-1, 100], [1, 3], {}, [1, 1], [4, 6], [3, 2], [3, 2]],
    ['x[::-1, 5:0:-2]', [5, 6], [0, 5], [0, 0], [-1, -2], { begin: 1, end: 1 }, [4, 5], [-1, 0], [5, 3], [5, 3]],
    ['x[:, 2, :]', [4, 5, 3], [0, 2, 0], [0, 3, 0], [1, 1, 1], { begin: 5, end: 5, shrinkAxis: 2 }, [0, 2, 0], [4, 3, 3], [4, 1, 3], [4, 3]],
    ['x[-1]', [4, 5], [-1], [0], [1], { shrinkAxis: 1 }, [3, 0], [4, 5], [1, 5], [5]],
    ['x[:, None, 1:4]', [4, 5], [0, 0, 1], [0, 0, 4], [1, 1, 1], { begin: 1, end: 1, newAxis: 2 }, [0, 1], [4, 4], [4, 3], [4, 1, 3]],
    ['x[..., 1:4:2]', [2, 3, 4, 5], [0, 1], [0, 4], [1, 2], { ellipsis: 1 }, [0, 0, 0, 1], [2, 3, 4, 4], [2, 3, 4, 2], [2, 3, 4, 2]],
    [
      'x[1, ..., None, 2]',
      [2, 3, 4, 5],
      [1, 0, 0, 2],
      [2, 0, 0, 3],
      [1, 1, 1, 1],
      { ellipsis: 2, newAxis: 4, shrinkAxis: 9 },
      [1, 0, 0, 2],
      [2, 3, 4, 3],
      [1, 3, 4, 1],
      [3, 4, 1],
    ],
    ['x[3:1] is empty', [5], [3], [1], [1], {}, [3], [1], [0], [0]],
  ] as const)('%s', (_name, shape, begin, end, strides, masks, wb, we, slice, final) => {
    const r = resolveStridedSlice(shape, begin, end, strides, { ...none, ...masks });
    expect(r.begin).toEqual(wb);
    expect(r.end).toEqual(we);
    expect(r.sliceShape).toEqual(slice);
    expect(r.finalShape).toEqual(final);
  });

  test('rejects what TensorFlow rejects', () => {
    expect(() => resolveStridedSlice([4], [0], [4], [0], none)).toThrow(SliceSpecError);
    expect(() => resolveStridedSlice([4], [4], [5], [1], { ...none, shrinkAxis: 1 })).toThrow(/out of bounds/);
    expect(() => resolveStridedSlice([4, 4], [0, 0], [1, 1], [1, 1], { ...none, ellipsis: 3 })).toThrow(/ellipsis/);
    expect(() => resolveStridedSlice([4], [0, 0], [1, 1], [1, 1], none)).toThrow(/beyond the input's rank/);
    expect(() => resolveStridedSlice([4], [1], [2], [-1], { ...none, shrinkAxis: 1 })).toThrow(/positive stride/);
  });
});

describe('planEinsum', () => {
  test("Keras Dense on rank 3, 'abc,cd->abd': one dense, the weight transposed at compile time", () => {
    const p = planEinsum('abc,cd->abd', [2, 3, 4], [4, 5], false, true);
    expect(p).toMatchObject({ swap: false, b: 0, m: 6, n: 5, k: 4, permX: [0, 1, 2], permY: [1, 0], outPerm: [0, 1, 2], outShape: [2, 3, 5] });
  });

  test("MultiHeadAttention projections 'abc,cde->abde' and 'abcd,cde->abe' are dense layers", () => {
    expect(planEinsum('abc,cde->abde', [2, 3, 8], [8, 2, 4], false, true)).toMatchObject({
      b: 0,
      m: 6,
      n: 8,
      k: 8,
      permY: [1, 2, 0],
      outShape: [2, 3, 2, 4],
    });
    expect(planEinsum('abcd,cde->abe', [2, 3, 2, 4], [2, 4, 8], false, true)).toMatchObject({
      b: 0,
      m: 6,
      n: 8,
      k: 8,
      permX: [0, 1, 2, 3],
      permY: [2, 0, 1],
      outShape: [2, 3, 8],
    });
  });

  test("attention scores 'aecd,abcd->acbe' swap operands so the product is already in output order", () => {
    const p = planEinsum('aecd,abcd->acbe', [2, 5, 2, 4], [2, 3, 2, 4]);
    expect(p).toMatchObject({ swap: true, b: 4, m: 3, n: 5, k: 4, transposeY: true, outShape: [2, 2, 3, 5] });
    // query [a,b,c,d] -> [a,c,b,d]; key likewise; no output transpose.
    expect(p.permX).toEqual([0, 2, 1, 3]);
    expect(p.permY).toEqual([0, 2, 1, 3]);
    expect(p.outPerm).toEqual([0, 1, 2, 3]);
  });

  test("attention combine 'acbe,aecd->abcd' keeps the probabilities as they are", () => {
    const p = planEinsum('acbe,aecd->abcd', [2, 2, 3, 5], [2, 5, 2, 4]);
    expect(p).toMatchObject({ swap: false, b: 4, m: 3, n: 4, k: 5, permX: [0, 1, 2, 3], outShape: [2, 3, 2, 4] });
    expect(p.outPerm).toEqual([0, 2, 1, 3]);
  });

  test('a batch product with B already [batch, N, K] needs no transpose at all', () => {
    expect(planEinsum('bij,bkj->bik', [2, 3, 4], [2, 5, 4])).toMatchObject({
      swap: false,
      transposeY: true,
      permX: [0, 1, 2],
      permY: [0, 1, 2],
      outPerm: [0, 1, 2],
    });
    expect(planEinsum('bij,bjk->bik', [2, 3, 4], [2, 4, 5])).toMatchObject({ transposeY: false, permY: [0, 1, 2] });
  });

  test.each([
    ['ab,bc', 'explicit output'],
    ['ab...,bc->ac', 'ellipsis'],
    ['aab,bc->ac', 'repeats a label'],
    ['abc,cd->ad', 'label b is summed over one operand only'],
    ['ab,bc->acz', 'output label z is in no operand'],
    ['ab,bc,cd->ad', 'explicit output'],
  ])("'%s' is refused with a reason naming the equation", (eq, why) => {
    const shapes = eq.startsWith('aab')
      ? [
          [2, 2, 3],
          [3, 4],
        ]
      : eq.startsWith('abc')
        ? [
            [2, 3, 4],
            [4, 5],
          ]
        : [
            [2, 3],
            [3, 4],
          ];
    let err: unknown;
    try {
      planEinsum(eq, shapes[0]!, shapes[1]!);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Unsupported);
    expect((err as Unsupported).message).toContain(`Einsum '${eq}'`);
    expect((err as Unsupported).message).toContain(why);
  });

  test('mismatched label sizes are refused', () => {
    expect(() => planEinsum('ab,bc->ac', [2, 3], [4, 5])).toThrow(/label b is 3 in operand 0 and 4 in operand 1/);
  });
});

describe('planEinsum keeps a constant operand as the dense weight', () => {
  test("'ji,jk->ki' with a constant second operand transposes the data, not the weight's role", () => {
    const p = planEinsum('ji,jk->ki', [4, 3], [4, 5], false, true);
    expect(p).toMatchObject({ swap: false, b: 0, m: 3, n: 5, k: 4, permX: [1, 0], permY: [1, 0], outPerm: [1, 0] });
  });

  test('a constant first operand becomes the weight by swapping', () => {
    expect(planEinsum('cd,abc->abd', [4, 5], [2, 3, 4], true, false)).toMatchObject({ swap: true, b: 0, m: 6, n: 5, k: 4, outPerm: [0, 1, 2] });
  });
});

describe('batchMatMulEinsum', () => {
  test.each([
    // a, b, adj_x, adj_y, equation, labelled shapes
    [[2, 3, 4], [2, 4, 5], false, false, 'axy,ayz->axz', [2, 3, 4], [2, 4, 5]],
    [[2, 4, 3], [2, 5, 4], true, true, 'ayx,azy->axz', [2, 4, 3], [2, 5, 4]],
    [[2, 3, 4, 5], [5, 6], false, false, 'abxy,yz->abxz', [2, 3, 4, 5], [5, 6]],
    [[4, 1, 8, 16], [3, 16, 8], false, false, 'axy,byz->abxz', [4, 8, 16], [3, 16, 8]],
    [[3, 1, 4, 5], [1, 3, 5, 6], false, false, 'axy,byz->abxz', [3, 4, 5], [3, 5, 6]],
    [[1, 3, 4, 5], [3, 5, 6], false, false, 'bxy,byz->bxz', [3, 4, 5], [3, 5, 6]],
    [[1, 1, 4, 5], [2, 3, 5, 6], false, true, 'xy,abzy->abxz', [4, 5], [2, 3, 5, 6]],
  ] as const)('%j x %j', (a, b, ax, ay, eq, sa, sb) => {
    expect(batchMatMulEinsum(a, b, ax, ay)).toEqual({ equation: eq, shapeA: sa, shapeB: sb });
  });

  test('non-broadcastable batches are refused', () => {
    expect(() => batchMatMulEinsum([2, 3, 4], [3, 4, 5], false, false)).toThrow(/do not broadcast/);
  });
});
