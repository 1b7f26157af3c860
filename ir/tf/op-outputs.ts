// The output arguments of the TensorFlow ops tf2tvm clusters (and of the
// constant producers a cluster may read), as TensorFlow's OpDefs name them.
// A function body names a tensor `node:output_arg:index`, not `node:k`, so
// turning a cluster into a FunctionDef needs these names.
// test/ir/tf/op-outputs.test.ts checks the table against TensorFlow's registry.

/** One output arg: its name, and whether it is a list (its length set by an attr, as IdentityN's T). */
export interface OutputArg {
  readonly name: string;
  readonly list?: boolean;
}

const single = (name: string): readonly OutputArg[] => [{ name }];

const FUSED_BN = ['y', 'batch_mean', 'batch_variance', 'reserve_space_1', 'reserve_space_2'];

const NAMES: Readonly<Record<string, readonly string[]>> = {
  activations: ['Relu', 'Softplus', 'Elu', 'Selu', 'Relu6', 'LeakyRelu', 'Softsign'],
  y: [
    'InvertPermutation',
    'Sigmoid',
    'Tanh',
    'Exp',
    'Log',
    'Sqrt',
    'Rsqrt',
    'Square',
    'Neg',
    'Abs',
    'Erf',
    'Cast',
    'Transpose',
    'ZerosLike',
    'OnesLike',
    'Floor',
    'Ceil',
    'Round',
    'Rint',
    'Sign',
    'Sin',
    'Cos',
    'Tan',
    'Asin',
    'Acos',
    'Atan',
    'Sinh',
    'Cosh',
    'Asinh',
    'Acosh',
    'Atanh',
    'Log1p',
    'Expm1',
    'LogicalNot',
    'IsNan',
    'IsInf',
    'IsFinite',
  ],
  z: [
    'Add',
    'AddV2',
    'Sub',
    'Mul',
    'RealDiv',
    'Maximum',
    'Minimum',
    'SquaredDifference',
    'Pow',
    'FloorDiv',
    'FloorMod',
    'TruncateDiv',
    'TruncateMod',
    'Mod',
    'LeftShift',
    'RightShift',
    'Atan2',
    'Equal',
    'NotEqual',
    'Less',
    'LessEqual',
    'Greater',
    'GreaterEqual',
    'LogicalAnd',
    'LogicalOr',
  ],
  out: ['Cumsum', 'Cumprod'],
  sum: ['AddN'],
  result: ['BatchNormWithGlobalNormalization'],
  r0: ['BroadcastArgs'],
  resized_images: ['ResizeBilinear', 'ResizeBicubic', 'ResizeNearestNeighbor'],
  product: ['MatMul'],
  softmax: ['Softmax'],
  logsoftmax: ['LogSoftmax'],
  output: [
    'Conv2D',
    'DepthwiseConv2dNative',
    'Conv2DBackpropInput',
    'UnravelIndex',
    'Conv3D',
    'MaxPool3D',
    'AvgPool3D',
    'Conv2DBackpropInput',
    'BiasAdd',
    'BatchMatMul',
    'BatchMatMulV2',
    'BatchMatMulV3',
    'Einsum',
    'MaxPool',
    'MaxPoolV2',
    'AvgPool',
    'Mean',
    'Sum',
    'Max',
    'Min',
    'Prod',
    'Reshape',
    'Squeeze',
    'ExpandDims',
    'ConcatV2',
    'Pack',
    'Pad',
    'PadV2',
    'MirrorPad',
    'StridedSlice',
    'Slice',
    'Shape',
    'Const',
    'Identity',
    'StopGradient',
    'PreventGradient',
    'Snapshot',
    'Fill',
    'Range',
    'Tile',
    'GatherV2',
    'Size',
    'Rank',
    'ClipByValue',
    'LRN',
    'All',
    'Any',
    'EuclideanNorm',
    'Concat',
    'ReverseV2',
    'BroadcastTo',
    'DepthToSpace',
    'SpaceToDepth',
    'SpaceToBatchND',
    'BatchToSpaceND',
    'Gather',
    'GatherNd',
    'OneHot',
    'ArgMax',
    'ArgMin',
    'Select',
    'SelectV2',
    'DenseBincount',
    'Dilation2D',
    'Conv3DBackpropInputV2',
  ],
  bins: ['Bincount'],
  crops: ['CropAndResize'],
};

export const OP_OUTPUTS: ReadonlyMap<string, readonly OutputArg[]> = new Map([
  ...Object.entries(NAMES).flatMap(([arg, ops]) => ops.map((op) => [op, single(arg)] as const)),
  ['FusedBatchNorm', FUSED_BN.map((name) => ({ name }))],
  ['FusedBatchNormV2', FUSED_BN.map((name) => ({ name }))],
  ['FusedBatchNormV3', [...FUSED_BN, 'reserve_space_3'].map((name) => ({ name }))],
  ['IdentityN', [{ name: 'output', list: true }]],
  ['Split', [{ name: 'output', list: true }]],
  ['SplitV', [{ name: 'output', list: true }]],
  ['Unpack', [{ name: 'output', list: true }]],
  ['TopKV2', [{ name: 'values' }, { name: 'indices' }]],
  ['NoOp', []],
  ['LSTMBlockCell', ['i', 'cs', 'f', 'o', 'ci', 'co', 'h'].map((name) => ({ name }))],
]);

/**
 * The function-body name of output `index` of a node of `op`
 * (`name:output_arg:i`), or undefined when the op is not in the table. An op
 * with one list output takes every index; otherwise each arg is one tensor.
 */
export function functionOutputRef(op: string, node: string, index: number): string | undefined {
  const args = OP_OUTPUTS.get(op);
  if (args === undefined) return undefined;
  if (args.length === 1 && args[0]!.list) return `${node}:${args[0]!.name}:${index}`;
  const arg = args[index];
  if (arg === undefined || arg.list) return undefined;
  return `${node}:${arg.name}:0`;
}
