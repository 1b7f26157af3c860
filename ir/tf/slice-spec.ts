// TensorFlow's StridedSlice index spec, resolved against a static input shape:
// the same steps as TensorFlow's ValidateStridedSliceOp (sparse spec -> dense
// spec -> canonical begin/end per dimension -> final shape), so the masks mean
// exactly what they mean in TensorFlow. The result is a full-rank slice with
// absolute indices (the IR's strided_slice) plus the final shape, which drops
// shrunk dimensions and inserts new axes (a reshape).

export interface SliceMasks {
  readonly begin: number;
  readonly end: number;
  readonly ellipsis: number;
  readonly newAxis: number;
  readonly shrinkAxis: number;
}

export interface DenseSlice {
  /** Per input dimension, absolute indices; end -1 with a negative stride is "through index 0". */
  readonly begin: number[];
  readonly end: number[];
  readonly strides: number[];
  /** Shape of the full-rank slice (shrunk dimensions are 1). */
  readonly sliceShape: number[];
  /** Shape of the op's output. */
  readonly finalShape: number[];
}

/** Thrown for specs TensorFlow itself rejects (the message says which). */
export class SliceSpecError extends Error {}

const NEW_AXIS = -1;
const SHRINK = -2;

const bit = (mask: number, i: number): boolean => (mask & (1 << i)) !== 0;

export function resolveStridedSlice(
  shape: readonly number[],
  begin: readonly number[],
  end: readonly number[],
  strides: readonly number[],
  masks: SliceMasks,
): DenseSlice {
  if (begin.length !== end.length || begin.length !== strides.length) {
    throw new SliceSpecError('begin, end and strides differ in length');
  }
  if (begin.length > 31) throw new SliceSpecError('more than 31 slice indices');
  let ellipsis = masks.ellipsis;
  if ((ellipsis & (ellipsis - 1)) !== 0) throw new SliceSpecError('more than one ellipsis');
  // Without an ellipsis TensorFlow appends one: unmentioned dimensions are kept whole.
  let sparseDims = begin.length;
  if (ellipsis === 0) {
    ellipsis = 1 << sparseDims;
    sparseDims++;
  }
  const rank = shape.length;
  const dBegin = new Array<number>(rank).fill(0);
  const dEnd = new Array<number>(rank).fill(0);
  const dStride = new Array<number>(rank).fill(1);
  const dBeginMask = new Array<boolean>(rank).fill(false);
  const dEndMask = new Array<boolean>(rank).fill(false);
  const dShrink = new Array<boolean>(rank).fill(false);
  const gather: number[] = [];
  let full = 0;
  for (let i = 0; i < sparseDims; i++) {
    if (bit(ellipsis, i)) {
      // The ellipsis covers every dimension not named by the indices after it.
      let newAxesAfter = 0;
      for (let j = i + 1; j < sparseDims; j++) if (bit(masks.newAxis, j)) newAxesAfter++;
      const named = sparseDims - i - 1 - newAxesAfter;
      const next = Math.min(rank - named, rank);
      for (; full < next; full++) {
        dBeginMask[full] = true;
        dEndMask[full] = true;
        gather.push(full);
      }
    } else if (bit(masks.newAxis, i)) {
      gather.push(NEW_AXIS);
    } else {
      if (full >= rank) throw new SliceSpecError(`index ${i} is beyond the input's rank ${rank}`);
      dBegin[full] = begin[i]!;
      dEnd[full] = end[i]!;
      dStride[full] = strides[i]!;
      dBeginMask[full] = bit(masks.begin, i);
      dEndMask[full] = bit(masks.end, i);
      dShrink[full] = bit(masks.shrinkAxis, i);
      gather.push(dShrink[full] ? SHRINK : full);
      full++;
    }
  }
  const sliceShape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const dim = shape[i]!;
    const s = dStride[i]!;
    if (s === 0) throw new SliceSpecError(`stride ${i} is zero`);
    if (dShrink[i]) {
      if (s < 0) throw new SliceSpecError('only a positive stride is allowed on a shrunk (indexed) dimension');
      const b = dBegin[i]! < 0 ? dim + dBegin[i]! : dBegin[i]!;
      if (b < 0 || b >= dim) throw new SliceSpecError(`index ${dBegin[i]} is out of bounds for a dimension of ${dim}`);
      dBegin[i] = b;
      dEnd[i] = b + 1;
      dStride[i] = 1;
      sliceShape.push(1);
      continue;
    }
    // Masked ends take the whole range in the stride's direction; the others
    // count from the end when negative and are clamped to the valid range.
    const lo = s > 0 ? 0 : -1;
    const hi = s > 0 ? dim : dim - 1;
    const canonical = (x: number, masked: boolean, isEnd: boolean): number => {
      if (masked) return s > 0 ? (isEnd ? hi : lo) : isEnd ? lo : hi;
      const fwd = x < 0 ? dim + x : x;
      return Math.min(Math.max(fwd, lo), hi);
    };
    dBegin[i] = canonical(dBegin[i]!, dBeginMask[i]!, false);
    dEnd[i] = canonical(dEnd[i]!, dEndMask[i]!, true);
    const len = dEnd[i]! - dBegin[i]!;
    sliceShape.push(len === 0 || len < 0 !== s < 0 ? 0 : Math.ceil(len / s));
  }
  const finalShape: number[] = [];
  for (const g of gather) {
    if (g === NEW_AXIS) finalShape.push(1);
    else if (g !== SHRINK) finalShape.push(sliceShape[g]!);
  }
  return { begin: dBegin, end: dEnd, strides: dStride, sliceShape, finalShape };
}
