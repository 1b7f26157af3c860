// Data movement beyond reshapes and slices (shape.ts): Split, SplitV and
// Unpack (one strided slice per output), Tile, ReverseV2 (a slice with
// negative strides), BroadcastTo, DepthToSpace / SpaceToDepth (NHWC:
// reshape, transpose, reshape) and SpaceToBatchND / BatchToSpaceND (pad,
// reshape, transpose, reshape, crop: the pair TF1 wraps around an a trous
// convolution; when both sit right around a Conv2D or DepthwiseConv2dNative
// in one cluster, encapsulate lowers the three as the one dilated convolution
// they stand for instead: passes/atrous.ts). Every op's shape arguments are compile-time constants; the
// splits fold when their data is constant (Unpack of a Shape).

import type { ValueId } from '../../ops.js';
import { broadcastShapes, DTYPES, numElements, sameShape, type DType, type TensorType } from '../../types.js';
import { constInts, reshapeConst, sliceConst } from '../consts.js';
import { Unsupported, type LowerCtx, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { axisIn, constIntsOf, constScalarOf, input, inputOf } from './common.js';

/** One piece of a split: [begin, end) along `axis`, and the output shape (the axis dropped for Unpack). */
interface Piece {
  readonly begin: number;
  readonly end: number;
  readonly shape: readonly number[];
}

interface SplitSpec {
  readonly data: number;
  readonly axis: number;
  readonly pieces: readonly Piece[];
}

function piecesOf(x: TensorType, axis: number, sizes: readonly number[], drop: boolean): Piece[] {
  let at = 0;
  return sizes.map((n) => {
    const shape = [...x.shape];
    if (drop) shape.splice(axis, 1);
    else shape[axis] = n;
    const p = { begin: at, end: at + n, shape };
    at += n;
    return p;
  });
}

function splitSpec(c: NodeCtx): SplitSpec {
  const x = input(c, 1);
  const axis = axisIn(constScalarOf(c, 0, 'axis'), x.shape.length);
  const n = c.attrs.int('num_split');
  const d = x.shape[axis]!;
  if (n < 1 || d % n !== 0) throw new Unsupported(`dimension ${d} does not split into ${n} equal parts`);
  if (d === 0) throw new Unsupported('splitting an empty dimension');
  return { data: 1, axis, pieces: piecesOf(x, axis, new Array<number>(n).fill(d / n), false) };
}

function splitVSpec(c: NodeCtx): SplitSpec {
  const x = input(c, 0);
  const axis = axisIn(constScalarOf(c, 2, 'axis'), x.shape.length);
  const d = x.shape[axis]!;
  const sizes = constIntsOf(c, 1);
  const unknown = sizes.filter((s) => s === -1).length;
  if (unknown > 1) throw new Unsupported('more than one -1 in size_splits');
  const known = sizes.filter((s) => s !== -1).reduce((a, b) => a + b, 0);
  const full = sizes.map((s) => (s === -1 ? d - known : s));
  if (full.some((s) => s < 0) || full.reduce((a, b) => a + b, 0) !== d) {
    throw new Unsupported(`size_splits [${sizes}] do not add up to dimension ${d}`);
  }
  if (full.some((s) => s === 0)) throw new Unsupported('an empty piece (TVM has no zero-size tensors)');
  return { data: 0, axis, pieces: piecesOf(x, axis, full, false) };
}

function unpackSpec(c: NodeCtx): SplitSpec {
  const x = input(c, 0);
  const axis = axisIn(c.attrs.int('axis', 0), x.shape.length);
  const d = x.shape[axis]!;
  if (c.attrs.has('num') && c.attrs.int('num') !== d) throw new Unsupported(`num ${c.attrs.int('num')} differs from dimension ${d}`);
  if (d === 0) throw new Unsupported('unpacking an empty dimension');
  return { data: 0, axis, pieces: piecesOf(x, axis, new Array<number>(d).fill(1), true) };
}

/** The strided slice of one piece over the whole of every other dimension. */
function pieceSlice(x: TensorType, axis: number, p: Piece): { begin: number[]; end: number[]; strides: number[]; shape: number[] } {
  const begin = x.shape.map((_, i) => (i === axis ? p.begin : 0));
  const end = x.shape.map((d, i) => (i === axis ? p.end : d));
  const shape = x.shape.map((d, i) => (i === axis ? p.end - p.begin : d));
  return { begin, end, strides: x.shape.map(() => 1), shape };
}

function splitLike(spec: (c: NodeCtx) => SplitSpec, constInputs: readonly number[], refuses: TfOpDef['refuses']): TfOpDef {
  return {
    category: 'movement',
    dtypes: DTYPES,
    constInputs,
    ...(refuses ? { refuses } : {}),
    infer(c) {
      const s = spec(c);
      const x = input(c, s.data);
      return s.pieces.map((p) => ({ dtype: x.dtype, shape: [...p.shape] }));
    },
    fold(c) {
      const s = spec(c);
      const v = c.constInput(s.data);
      if (!v) return undefined;
      return s.pieces.map((p) => {
        const sl = pieceSlice({ dtype: v.dtype, shape: v.shape }, s.axis, p);
        return reshapeConst(sliceConst(v, sl.begin, sl.strides, sl.shape), p.shape);
      });
    },
    lower(c) {
      const s = spec(c);
      const x = c.inputs[s.data]!;
      return s.pieces.map((p, k) => {
        const sl = pieceSlice(x, s.axis, p);
        const out = c.outputs[k]!;
        const v = c.emit(
          { kind: 'strided_slice', args: [c.value(s.data)], begin: sl.begin, end: sl.end, strides: sl.strides },
          { dtype: x.dtype, shape: sl.shape },
        );
        return sameShape(sl.shape, out.shape) ? v : c.emit({ kind: 'reshape', args: [v], shape: out.shape }, out);
      });
    },
  };
}

function reverseAxes(c: NodeCtx, rank: number): Set<number> {
  const axes = constIntsOf(c, 1).map((a) => axisIn(a, rank));
  if (new Set(axes).size !== axes.length) throw new Unsupported('an axis given twice');
  return new Set(axes);
}

/** Block size of DepthToSpace / SpaceToDepth; NHWC only. */
function blockOf(c: NodeCtx, x: TensorType): number {
  const b = c.attrs.int('block_size');
  if (b < 2) throw new Unsupported(`block_size ${b} is below 2`);
  if (c.attrs.str('data_format', 'NHWC') !== 'NHWC') throw new Unsupported('data_format other than NHWC');
  if (x.shape.length !== 4) throw new Unsupported('the input must be rank 4');
  return b;
}

function depthToSpaceShape(c: NodeCtx): number[] {
  const x = input(c, 0);
  const b = blockOf(c, x);
  const [n, h, w, ch] = x.shape as [number, number, number, number];
  if (ch % (b * b) !== 0) throw new Unsupported(`depth ${ch} is not a multiple of block_size^2`);
  return [n, h * b, w * b, ch / (b * b)];
}

function spaceToDepthShape(c: NodeCtx): number[] {
  const x = input(c, 0);
  const b = blockOf(c, x);
  const [n, h, w, ch] = x.shape as [number, number, number, number];
  if (h % b !== 0 || w % b !== 0) throw new Unsupported(`height ${h} and width ${w} must be multiples of block_size`);
  return [n, h / b, w / b, ch * b * b];
}

/** reshape -> transpose -> reshape, the three steps of the block rearrangements. */
function rearrange(c: LowerCtx, v: ValueId, dtype: TensorType['dtype'], mid: readonly number[], perm: readonly number[], out: TensorType): ValueId {
  const r = c.emit({ kind: 'reshape', args: [v], shape: mid }, { dtype, shape: mid });
  const tShape = perm.map((p) => mid[p]!);
  const t = c.emit({ kind: 'transpose', args: [r], perm }, { dtype, shape: tShape });
  return c.emit({ kind: 'reshape', args: [t], shape: out.shape }, out);
}

/** SpaceToBatchND / BatchToSpaceND: block shape [M] and paddings (crops) [M, 2] over dimensions 1..M. */
/** SpaceToBatchND / BatchToSpaceND: TensorFlow's CPU kernels take every number dtype, no bool. */
const BLOCK_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64'];

function blockSpec(c: NodeCtx): { x: TensorType; block: number[]; pads: [number, number][] } {
  const x = inputOf(c, 0, BLOCK_DTYPES);
  const block = constIntsOf(c, 1);
  const p = c.constInput(2);
  if (!p) throw new Unsupported('paddings / crops must be a compile-time constant', 'needs-constant');
  const m = block.length;
  if (m < 1 || m >= x.shape.length) throw new Unsupported(`block_shape of ${m} entries on rank ${x.shape.length}`);
  if (block.some((b) => b < 1)) throw new Unsupported('a block size below 1');
  if (p.shape.length !== 2 || p.shape[0] !== m || p.shape[1] !== 2) throw new Unsupported('paddings / crops must be of shape [M, 2]');
  const v = constInts(p);
  const pads = block.map((_, i): [number, number] => [v[2 * i]!, v[2 * i + 1]!]);
  if (pads.some(([a, b]) => a < 0 || b < 0)) throw new Unsupported('negative paddings / crops');
  return { x, block, pads };
}

function spaceToBatchShape(c: NodeCtx): number[] {
  const { x, block, pads } = blockSpec(c);
  const spatial = block.map((b, i) => {
    const padded = x.shape[i + 1]! + pads[i]![0] + pads[i]![1];
    if (padded % b !== 0) throw new Unsupported(`padded dimension ${padded} is not a multiple of block ${b}`);
    return padded / b;
  });
  return [x.shape[0]! * numElements(block), ...spatial, ...x.shape.slice(block.length + 1)];
}

function batchToSpaceShape(c: NodeCtx): number[] {
  const { x, block, pads } = blockSpec(c);
  const prod = numElements(block);
  if (x.shape[0]! % prod !== 0) throw new Unsupported(`batch ${x.shape[0]} is not a multiple of the block volume ${prod}`);
  const spatial = block.map((b, i) => x.shape[i + 1]! * b - pads[i]![0] - pads[i]![1]);
  if (spatial.some((d) => d <= 0)) throw new Unsupported('crops leave an empty dimension');
  return [x.shape[0]! / prod, ...spatial, ...x.shape.slice(block.length + 1)];
}

const BLOCK_REFUSALS = [
  { variant: 'block_shape not of 1 to rank - 1 positive entries', reason: 'unsupported-variant' },
  { variant: 'paddings / crops not of shape [M, 2] or negative', reason: 'unsupported-variant' },
] as const;

function lowerSpaceToBatch(c: LowerCtx): ValueId[] {
  const { x, block, pads } = blockSpec(c);
  const m = block.length;
  const rest = x.shape.slice(m + 1);
  const padsAll: [number, number][] = x.shape.map((_, i) => (i >= 1 && i <= m ? pads[i - 1]! : [0, 0]));
  const paddedShape = x.shape.map((d, i) => d + padsAll[i]![0] + padsAll[i]![1]);
  const padded = padsAll.some(([a, b]) => a || b)
    ? c.emit({ kind: 'pad', args: [c.value(0)], pads: padsAll, mode: 'constant', value: 0 }, { dtype: x.dtype, shape: paddedShape })
    : c.value(0);
  // [N, s1/b1, b1, ..., sM/bM, bM, rest] -> [b1..bM, N, s1/b1..sM/bM, rest]
  const mid = [x.shape[0]!, ...block.flatMap((b, i) => [paddedShape[i + 1]! / b, b]), ...rest];
  const perm = [...block.map((_, i) => 2 + 2 * i), 0, ...block.map((_, i) => 1 + 2 * i), ...rest.map((_, i) => 1 + 2 * m + i)];
  return [rearrange(c, padded, x.dtype, mid, perm, c.outputs[0]!)];
}

function lowerBatchToSpace(c: LowerCtx): ValueId[] {
  const { x, block, pads } = blockSpec(c);
  const m = block.length;
  const rest = x.shape.slice(m + 1);
  const n = x.shape[0]! / numElements(block);
  // [b1..bM, N, s1..sM, rest] -> [N, s1, b1, ..., sM, bM, rest] -> [N, s1*b1, ..., rest]
  const mid = [...block, n, ...x.shape.slice(1, m + 1), ...rest];
  const perm = [m, ...block.flatMap((_, i) => [m + 1 + i, i]), ...rest.map((_, i) => 2 * m + 1 + i)];
  const full = [n, ...block.map((b, i) => x.shape[i + 1]! * b), ...rest];
  const out = c.outputs[0]!;
  const joined = rearrange(c, c.value(0), x.dtype, mid, perm, { dtype: x.dtype, shape: full });
  if (sameShape(full, out.shape)) return [joined];
  const begin = full.map((_, i) => (i >= 1 && i <= m ? pads[i - 1]![0] : 0));
  const end = full.map((d, i) => (i >= 1 && i <= m ? d - pads[i - 1]![1] : d));
  return [c.emit({ kind: 'strided_slice', args: [joined], begin, end, strides: full.map(() => 1) }, out)];
}

export const movementOps: OpTable = {
  Split: splitLike(
    splitSpec,
    [0],
    [
      { variant: 'a dimension that does not split into num_split equal parts', reason: 'unsupported-variant' },
      { variant: 'an axis out of range', reason: 'unsupported-variant' },
    ],
  ),
  SplitV: splitLike(
    splitVSpec,
    [1, 2],
    [
      { variant: 'size_splits that do not add up to the dimension, or with more than one -1', reason: 'unsupported-variant' },
      { variant: 'an empty piece (TVM has no zero-size tensors)', reason: 'unsupported-variant' },
    ],
  ),
  Unpack: splitLike(unpackSpec, [], [{ variant: 'an axis out of range', reason: 'unsupported-variant' }]),
  Tile: {
    category: 'movement',
    dtypes: DTYPES,
    constInputs: [1],
    refuses: [{ variant: 'multiples not of one non-negative entry per dimension, or giving an empty tensor', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      const reps = constIntsOf(c, 1);
      if (reps.length !== x.shape.length || reps.some((r) => r < 1)) throw new Unsupported(`multiples [${reps}] do not fit rank ${x.shape.length}`);
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * reps[i]!) }];
    },
    lower: (c) => [c.emit({ kind: 'tile', args: [c.value(0)], reps: constIntsOf(c, 1) }, c.outputs[0]!)],
  },
  ReverseV2: {
    category: 'movement',
    dtypes: DTYPES,
    constInputs: [1],
    refuses: [{ variant: 'an axis out of range or given twice', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      reverseAxes(c, x.shape.length);
      return [x];
    },
    fold(c) {
      const v = c.constInput(0);
      if (!v) return undefined;
      const axes = reverseAxes(c, v.shape.length);
      return [
        sliceConst(
          v,
          v.shape.map((d, i) => (axes.has(i) ? d - 1 : 0)),
          v.shape.map((_, i) => (axes.has(i) ? -1 : 1)),
          v.shape,
        ),
      ];
    },
    lower(c) {
      const x = c.inputs[0]!;
      const axes = reverseAxes(c, x.shape.length);
      if (axes.size === 0) return [c.value(0)];
      return [
        c.emit(
          {
            kind: 'strided_slice',
            args: [c.value(0)],
            begin: x.shape.map((d, i) => (axes.has(i) ? d - 1 : 0)),
            // An end of -1 with a negative stride runs through index 0 (ir/ops.ts).
            end: x.shape.map((d, i) => (axes.has(i) ? -1 : d)),
            strides: x.shape.map((_, i) => (axes.has(i) ? -1 : 1)),
          },
          x,
        ),
      ];
    },
  },
  BroadcastTo: {
    category: 'movement',
    dtypes: DTYPES,
    constInputs: [1],
    refuses: [{ variant: 'a shape the input does not broadcast to', reason: 'unsupported-variant' }],
    infer(c) {
      const x = input(c, 0);
      const shape = constIntsOf(c, 1);
      const b = broadcastShapes(x.shape, shape);
      if (!b || !sameShape(b, shape) || shape.some((d) => d < 1)) throw new Unsupported(`[${x.shape}] does not broadcast to [${shape}]`);
      return [{ dtype: x.dtype, shape }];
    },
    lower(c) {
      const out = c.outputs[0]!;
      if (sameShape(c.inputs[0]!.shape, out.shape)) return [c.value(0)];
      return [c.emit({ kind: 'broadcast_to', args: [c.value(0)], shape: out.shape }, out)];
    },
  },
  DepthToSpace: {
    category: 'movement',
    dtypes: DTYPES,
    refuses: [
      { variant: 'data_format other than NHWC, or an input not of rank 4', reason: 'unsupported-variant' },
      { variant: 'a depth that is not a multiple of block_size^2, or block_size below 2', reason: 'unsupported-variant' },
    ],
    infer: (c) => [{ dtype: input(c, 0).dtype, shape: depthToSpaceShape(c) }],
    lower(c) {
      const x = c.inputs[0]!;
      const b = blockOf(c, x);
      const [n, h, w, ch] = x.shape as [number, number, number, number];
      // TensorFlow's order (DCR): depth = (block row, block column, channel).
      return [rearrange(c, c.value(0), x.dtype, [n, h, w, b, b, ch / (b * b)], [0, 1, 3, 2, 4, 5], c.outputs[0]!)];
    },
  },
  SpaceToDepth: {
    category: 'movement',
    dtypes: DTYPES,
    refuses: [
      { variant: 'data_format other than NHWC, or an input not of rank 4', reason: 'unsupported-variant' },
      { variant: 'a height or width that is not a multiple of block_size, or block_size below 2', reason: 'unsupported-variant' },
    ],
    infer: (c) => [{ dtype: input(c, 0).dtype, shape: spaceToDepthShape(c) }],
    lower(c) {
      const x = c.inputs[0]!;
      const b = blockOf(c, x);
      const [n, h, w, ch] = x.shape as [number, number, number, number];
      return [rearrange(c, c.value(0), x.dtype, [n, h / b, b, w / b, b, ch], [0, 1, 3, 2, 4, 5], c.outputs[0]!)];
    },
  },
  SpaceToBatchND: {
    category: 'movement',
    dtypes: BLOCK_DTYPES,
    constInputs: [1, 2],
    refuses: [...BLOCK_REFUSALS, { variant: 'a padded dimension that is not a multiple of its block', reason: 'unsupported-variant' }],
    infer: (c) => [{ dtype: input(c, 0).dtype, shape: spaceToBatchShape(c) }],
    lower: lowerSpaceToBatch,
  },
  BatchToSpaceND: {
    category: 'movement',
    dtypes: BLOCK_DTYPES,
    constInputs: [1, 2],
    refuses: [
      ...BLOCK_REFUSALS,
      { variant: 'a batch that is not a multiple of the block volume, or crops that leave nothing', reason: 'unsupported-variant' },
    ],
    infer: (c) => [{ dtype: input(c, 0).dtype, shape: batchToSpaceShape(c) }],
    lower: lowerBatchToSpace,
  },
};
