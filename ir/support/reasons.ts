// Stable reason codes for nodes left in TensorFlow and edges not merged. Tools
// match on these strings: never rename one, only add.

export const REASONS = {
  'unsupported-op': 'no lowering for this op',
  'needs-vm': 'sparse tensors, tensor arrays or a value-dependent output shape: left out of the lowering on purpose (docs/ops.md, coverage)',
  'unsupported-dtype': 'a dtype TVM lowering does not handle here',
  'unsupported-variant': 'the op is supported, but not with these attributes or shapes',
  'unknown-shape': 'a static shape could not be inferred',
  'empty-tensor': 'an input or output has a zero-size dimension: TVM builds no kernels for empty tensors, TensorFlow runs them',
  'needs-constant': 'an input that must be known at compile time is not a constant',
  'control-flow': 'TensorFlow control flow stays in TensorFlow',
  'in-loop': 'the node runs inside a TensorFlow loop frame',
  stateful: 'stateful or resource op',
  device: 'pinned to a device other than the CPU',
  'excluded-op': 'op type excluded by --exclude-ops',
  'excluded-node': 'node excluded by --exclude-nodes',
  constant: 'a constant: its value reaches clusters as a weight',
  'graph-input': 'a graph input',
  'no-compute-op': 'its cluster has no compute-intensive op (policy compute)',
  'below-min-size': 'its cluster is smaller than --min-cluster-size',
  'no-cluster-output': 'its cluster computes no tensor anything reads (its members are used by control edges alone)',
  'would-form-cycle': 'merging would create a cycle through TensorFlow',
  'size-limit': 'merging would exceed --max-cluster-size',
  'build-failed': 'its cluster failed to build with TVM',
  'not-faster': 'its cluster measured no faster in TVM than in TensorFlow (--select measured)',
} as const;

export type ReasonCode = keyof typeof REASONS;
