// Softmax / LogSoftmax (over the last axis, as TensorFlow defines them;
// bfloat16 computed in float32 and rounded once, backends/relay/emit.ts), and
// FusedBatchNorm{,V2,V3} in inference mode as y = x * scale + shift (V2 and
// V3 also on float16 / bfloat16 data with float32 parameters: x is cast to
// float32, normalized, and the result cast back, as TensorFlow's kernels do).

import type { ValueId } from '../../ops.js';
import type { DType, TensorType } from '../../types.js';
import { constNumbers, makeConst, type ConstTensor } from '../consts.js';
import { Unsupported, type LowerCtx, type NodeCtx, type OpTable, type TfOpDef } from '../registry.js';
import { BF16_FLOAT_DTYPES, input, inputOf, spatial } from './common.js';
import { float16Bits } from './matmul.js';

function softmax(log: boolean): TfOpDef {
  return {
    category: 'normalization',
    dtypes: BF16_FLOAT_DTYPES,
    refuses: [{ variant: 'a scalar input', reason: 'unsupported-variant' }],
    infer(c) {
      const x = inputOf(c, 0, BF16_FLOAT_DTYPES);
      if (x.shape.length < 1) throw new Unsupported('softmax of a scalar');
      return [x];
    },
    lower: (c) => [c.emit({ kind: 'softmax', args: [c.value(0)], axis: -1, log }, c.outputs[0]!)],
  };
}

const BN_OUTPUTS = ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2', 'reserve_space_3'];

/** Channel count and the shape the per-channel vectors take to broadcast against x. */
function bnLayout(c: NodeCtx): { channels: number; vecShape: number[] } {
  const x = input(c, 0);
  const format = c.attrs.str('data_format', 'NHWC');
  if (x.shape.length !== 4) throw new Unsupported(`input of rank ${x.shape.length} (only rank 4 is supported)`);
  const ch = spatial(format).c;
  const channels = x.shape[ch]!;
  // NHWC: [C] broadcasts over the last axis; NCHW: [C, 1, 1].
  return { channels, vecShape: format === 'NHWC' ? [channels] : [channels, 1, 1] };
}

/**
 * scale = gamma / sqrt(var + eps), shift = beta - mean * scale, in float64,
 * then stored as float32: the inference-mode batch norm as one multiply-add.
 */
export function batchNormConstants(
  gamma: readonly number[],
  beta: readonly number[],
  mean: readonly number[],
  variance: readonly number[],
  epsilon: number,
): { scale: number[]; shift: number[] } {
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i]! + epsilon));
  const shift = beta.map((b, i) => b - mean[i]! * scale[i]!);
  return { scale: scale.map(Math.fround), shift: shift.map(Math.fround) };
}

function lowerBatchNorm(c: LowerCtx): ValueId[] {
  const x = c.inputs[0]!;
  const { channels, vecShape } = bnLayout(c);
  const vecType: TensorType = { dtype: 'float32', shape: vecShape };
  const eps = Math.fround(c.attrs.float('epsilon', 1e-4));
  const params = [1, 2, 3, 4].map((i) => c.constInput(i));
  let scale: ValueId;
  let shift: ValueId;
  if (params.every((p): p is ConstTensor => p !== undefined)) {
    const [g, b, m, v] = params.map(constNumbers) as [number[], number[], number[], number[]];
    const k = batchNormConstants(g, b, m, v, eps);
    scale = c.weight(makeConst('float32', vecShape, k.scale), 'scale');
    shift = c.weight(makeConst('float32', vecShape, k.shift), 'shift');
  } else {
    // Parameters computed at run time: the same formula in the graph, in float32.
    const vec: TensorType = { dtype: 'float32', shape: [channels] };
    const [g, b, m, v] = [1, 2, 3, 4].map((i) => c.value(i)) as [ValueId, ValueId, ValueId, ValueId];
    const epsW = c.weight(makeConst('float32', [], [eps]), 'epsilon');
    const inv = c.emit({ kind: 'unary', fn: 'rsqrt', args: [c.emit({ kind: 'binary', fn: 'add', args: [v, epsW] }, vec)] }, vec);
    const s = c.emit({ kind: 'binary', fn: 'mul', args: [g, inv] }, vec);
    const t = c.emit({ kind: 'binary', fn: 'sub', args: [b, c.emit({ kind: 'binary', fn: 'mul', args: [m, s] }, vec)] }, vec);
    const shaped = (id: ValueId): ValueId => (vecShape.length === 1 ? id : c.emit({ kind: 'reshape', args: [id], shape: vecShape }, vecType));
    scale = shaped(s);
    shift = shaped(t);
  }
  // float16 / bfloat16 data: normalized in float32 (the parameters' dtype), rounded back once.
  const half = x.dtype !== 'float32';
  const xf: TensorType = { dtype: 'float32', shape: x.shape };
  const x32 = half ? c.emit({ kind: 'cast', args: [c.value(0)], dtype: 'float32' }, xf) : c.value(0);
  const y = c.emit({ kind: 'binary', fn: 'mul', args: [x32, scale] }, xf);
  const z = c.emit({ kind: 'binary', fn: 'add', args: [y, shift] }, xf);
  return [half ? c.emit({ kind: 'cast', args: [z], dtype: x.dtype }, x) : z];
}

/** FusedBatchNorm's data dtype (V1: float32); V2 and V3 also take float16 and bfloat16 (their U, the parameters, is float32). */
const BN_V1_DTYPES: readonly DType[] = ['float32'];
const BN_DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16'];

function fusedBatchNorm(outputs: number, dtypes: readonly DType[]): TfOpDef {
  return {
    category: 'normalization',
    dtypes,
    refuses: [
      { variant: 'is_training=true (the default): batch statistics', reason: 'unsupported-variant' },
      { variant: 'an output other than y (batch_mean, ...) read by another node', reason: 'unsupported-variant' },
      { variant: 'input not of rank 4', reason: 'unsupported-variant' },
      { variant: 'data_format other than NHWC or NCHW', reason: 'unsupported-variant' },
      { variant: 'scale, offset, mean or variance not a float32 vector of the channel count', reason: 'unsupported-variant' },
    ],
    infer(c) {
      const x = inputOf(c, 0, dtypes);
      const { channels } = bnLayout(c);
      for (let i = 1; i <= 4; i++) {
        const p = input(c, i);
        if (p.dtype !== 'float32' || p.shape.length !== 1 || p.shape[0] !== channels) {
          throw new Unsupported(`input ${i} is not a float32 vector of ${channels} channels`);
        }
      }
      const vec: TensorType = { dtype: 'float32', shape: [channels] };
      // reserve_space_3 (V3) has no static shape in TensorFlow either: left untyped.
      return [x, ...Array.from({ length: Math.min(outputs, 5) - 1 }, () => vec)];
    },
    check(c) {
      if (c.attrs.bool('is_training', true)) return 'is_training=true computes batch statistics; only inference is supported';
      for (let k = 1; k < outputs; k++) {
        if (c.outputUsed(k)) return `output ${k} (${BN_OUTPUTS[k]}) is used; only y (output 0) is computed`;
      }
      return undefined;
    },
    lower: lowerBatchNorm,
  };
}

const LRN_DTYPES: readonly DType[] = ['float32', 'float16'];

/** LRN over the channels of NHWC data: depth_radius r sums 2r + 1 neighbours. */
const lrn: TfOpDef = {
  category: 'normalization',
  // TensorFlow's CPU LRN kernels: float32 and float16.
  dtypes: LRN_DTYPES,
  refuses: [{ variant: 'an input not of rank 4', reason: 'unsupported-variant' }],
  infer(c) {
    const x = inputOf(c, 0, LRN_DTYPES);
    if (x.shape.length !== 4) throw new Unsupported(`input of rank ${x.shape.length} (LRN takes rank 4)`);
    return [x];
  },
  lower: (c) => [
    c.emit(
      {
        kind: 'lrn',
        args: [c.value(0)],
        axis: 3,
        size: 2 * c.attrs.int('depth_radius', 5) + 1,
        bias: c.attrs.float('bias', 1),
        alpha: c.attrs.float('alpha', 1),
        beta: c.attrs.float('beta', 0.5),
      },
      c.outputs[0]!,
    ),
  ],
};

/**
 * BatchNormWithGlobalNormalization (TF1's batch norm at inference):
 * (t - m) * rsqrt(v + eps) [* gamma] + beta over the last dimension, in the
 * graph (its parameters are usually constants, which TVM folds).
 */
/** BatchNormWithGlobalNormalization's dtypes: TensorFlow's kernels compute in the data dtype, float16 included (as the IR ops do). */
const GLOBAL_BN_DTYPES: readonly DType[] = ['float32', 'float16', 'float64'];

const globalBatchNorm: TfOpDef = {
  category: 'normalization',
  dtypes: GLOBAL_BN_DTYPES,
  refuses: [
    { variant: 'input not of rank 4', reason: 'unsupported-variant' },
    { variant: 'mean, variance, beta or gamma not a vector of the channel count of the data dtype', reason: 'unsupported-variant' },
  ],
  infer(c) {
    const x = inputOf(c, 0, GLOBAL_BN_DTYPES);
    if (x.shape.length !== 4) throw new Unsupported(`input of rank ${x.shape.length} (only rank 4 is supported)`);
    for (let i = 1; i <= 4; i++) {
      const p = input(c, i);
      if (p.dtype !== x.dtype || p.shape.length !== 1 || p.shape[0] !== x.shape[3])
        throw new Unsupported(`input ${i} is not a vector of ${x.shape[3]} channels`);
    }
    return [x];
  },
  lower(c) {
    const x = c.inputs[0]!;
    const vec: TensorType = { dtype: x.dtype, shape: [x.shape[3]!] };
    const epsilon = c.attrs.float('variance_epsilon', 1e-3);
    // float16: epsilon rounded to float16, as TensorFlow's kernel adds it in the data dtype.
    const epsConst: ConstTensor =
      x.dtype === 'float16' ? { dtype: 'float16', shape: [], data: Uint16Array.of(float16Bits(epsilon)) } : makeConst(x.dtype, [], [epsilon]);
    const eps = c.weight(epsConst, 'epsilon');
    let scale = c.emit({ kind: 'unary', fn: 'rsqrt', args: [c.emit({ kind: 'binary', fn: 'add', args: [c.value(2), eps] }, vec)] }, vec);
    if (c.attrs.bool('scale_after_normalization')) scale = c.emit({ kind: 'binary', fn: 'mul', args: [scale, c.value(4)] }, vec);
    const centred = c.emit({ kind: 'binary', fn: 'sub', args: [c.value(0), c.value(1)] }, x);
    const y = c.emit({ kind: 'binary', fn: 'mul', args: [centred, scale] }, x);
    return [c.emit({ kind: 'binary', fn: 'add', args: [y, c.value(3)] }, x)];
  },
};

export const normalizationOps: OpTable = {
  BatchNormWithGlobalNormalization: globalBatchNorm,
  LRN: lrn,
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
  FusedBatchNorm: fusedBatchNorm(5, BN_V1_DTYPES),
  FusedBatchNormV2: fusedBatchNorm(5, BN_DTYPES),
  FusedBatchNormV3: fusedBatchNorm(6, BN_DTYPES),
};
