// The normalization table (ir/tf/ops/normalization.ts): Softmax and
// LogSoftmax over the last axis, FusedBatchNorm{,V2,V3} in inference mode as
// one multiply-add (test/ir/tf-ops.test.ts checks the folded constants).

import { normalizationOps } from '../../../../ir/tf/ops/normalization.js';
import { attr, DT, G } from '../../helpers.js';
import { dtypeContract, refusalContract, type Build } from './contract.js';

const softmax = (g: G, op: string, shape: number[], dt: number = DT.float): string => g.op('s', op, [g.ph('x', shape, dt)], { T: attr.type(dt) });

interface BnCase {
  x?: number[];
  channels?: number;
  training?: boolean;
  format?: string;
  readMean?: boolean;
}

function bn(g: G, op: string, c: BnCase = {}, dt: number = DT.float): string {
  const ch = c.channels ?? 3;
  const x = g.ph('x', c.x ?? [1, 4, 4, 3], dt);
  const vec = (n: string, v: number): string => g.const(n, [ch], new Array<number>(ch).fill(v));
  g.op('bn', op, [x, vec('gamma', 1), vec('beta', 0), vec('mean', 0), vec('var', 1)], {
    T: attr.type(dt),
    U: attr.type(DT.float),
    is_training: attr.b(c.training ?? false),
    ...(c.format ? { data_format: attr.s(c.format) } : {}),
  });
  // Read y: a node nobody reads is a graph output, every output of it counted as used.
  g.op('r', 'Relu', ['bn']);
  if (c.readMean) g.op('m', 'Identity', ['bn:1']);
  return 'bn';
}

test.each([
  ['Softmax', false],
  ['LogSoftmax', true],
] as const)('%s keeps the shape and lowers to softmax over the last axis', (op, log) => {
  const g = new G();
  softmax(g, op, [2, 3, 5]);
  const a = g.analyze();
  expect(a.shape('s')).toEqual([2, 3, 5]);
  expect(a.instrs('s').map((i) => i.op)).toEqual([{ kind: 'softmax', args: [expect.any(Number)], axis: -1, log }]);
});

test.each(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3'])('%s: y keeps x, the batch statistics are channel vectors', (op) => {
  const g = new G();
  bn(g, op);
  const a = g.analyze();
  expect(a.shape('bn', 0)).toEqual([1, 4, 4, 3]);
  expect(a.shape('bn', 1)).toEqual([3]);
  expect(a.shape('bn', 4)).toEqual([3]);
  // V3's reserve_space_3 has no static shape in TensorFlow either.
  expect(a.types('bn').outputs[5]).toBeUndefined();
  expect(a.kinds('bn')).toEqual(['binary.mul', 'binary.add']);
});

const bnRefusals = (op: string): Record<string, Build> => ({
  'is_training=true (the default): batch statistics': (g) => bn(g, op, { training: true }),
  'an output other than y (batch_mean, ...) read by another node': (g) => bn(g, op, { readMean: true }),
  'input not of rank 4': (g) => bn(g, op, { x: [4, 3] }),
  'data_format other than NHWC or NCHW': (g) => bn(g, op, { format: 'NDHWC' }),
  'scale, offset, mean or variance not a float32 vector of the channel count': (g) => bn(g, op, { channels: 2 }),
});

test('LRN sums 2 depth_radius + 1 channels with its bias, alpha and beta', () => {
  const g = new G();
  g.op('n', 'LRN', [g.ph('x', [1, 2, 2, 7])], { depth_radius: attr.i(2), bias: attr.f(2), alpha: attr.f(0.5), beta: attr.f(0.75) });
  expect(g.analyze().instrs('n')[0]?.op).toMatchObject({ kind: 'lrn', axis: 3, size: 5, bias: 2, alpha: 0.5, beta: 0.75 });
});

const gbn = (g: G, x: number[] = [1, 2, 2, 3], c = 3, dt: number = DT.float): string =>
  g.op('gb', 'BatchNormWithGlobalNormalization', [g.ph('x', x, dt), ...['m', 'v', 'b', 'g'].map((n) => g.ph(n, [c], dt))], {
    T: attr.type(dt),
    variance_epsilon: attr.f(0.001),
    scale_after_normalization: attr.b(true),
  });

test('BatchNormWithGlobalNormalization is (x - m) * rsqrt(v + eps) * gamma + beta', () => {
  const g = new G();
  gbn(g);
  expect(g.analyze().kinds('gb')).toEqual(['binary.add', 'unary.rsqrt', 'binary.mul', 'binary.sub', 'binary.mul', 'binary.add']);
});

refusalContract(normalizationOps, {
  BatchNormWithGlobalNormalization: {
    'input not of rank 4': (g) => gbn(g, [2, 3]),
    'mean, variance, beta or gamma not a vector of the channel count of the data dtype': (g) => gbn(g, [1, 2, 2, 3], 2),
  },
  LRN: { 'an input not of rank 4': (g) => g.op('n', 'LRN', [g.ph('x', [2, 7])]) },
  Softmax: { 'a scalar input': (g) => softmax(g, 'Softmax', []) },
  LogSoftmax: { 'a scalar input': (g) => softmax(g, 'LogSoftmax', []) },
  FusedBatchNorm: bnRefusals('FusedBatchNorm'),
  FusedBatchNormV2: bnRefusals('FusedBatchNormV2'),
  FusedBatchNormV3: bnRefusals('FusedBatchNormV3'),
});
dtypeContract(normalizationOps, {
  BatchNormWithGlobalNormalization: (g, dt) => gbn(g, [1, 2, 2, 3], 3, dt),
  LRN: (g, dt) => g.op('n', 'LRN', [g.ph('x', [1, 2, 2, 3], dt)], { T: attr.type(dt) }),
  Softmax: (g, dt) => softmax(g, 'Softmax', [2, 3], dt),
  LogSoftmax: (g, dt) => softmax(g, 'LogSoftmax', [2, 3], dt),
  FusedBatchNorm: (g, dt) => bn(g, 'FusedBatchNorm', {}, dt),
  FusedBatchNormV2: (g, dt) => bn(g, 'FusedBatchNormV2', {}, dt),
  FusedBatchNormV3: (g, dt) => bn(g, 'FusedBatchNormV3', {}, dt),
});
