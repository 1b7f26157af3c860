// Nodes that only carry values: Const, Placeholder, Identity and its kin
// (StopGradient, PreventGradient, Snapshot, IdentityN: identities at
// inference). Const and Placeholder never join a cluster (their values reach
// clusters as weights and inputs); the identities join and cost nothing.

import { tensorFromProto } from '../tensor.js';
import { Unsupported, type OpTable, type TfOpDef } from '../registry.js';
import { input } from './common.js';

/** Output i is input i: no code, and constants pass through. */
function identity(outputs: 'one' | 'all'): TfOpDef {
  const count = (n: number): number => (outputs === 'one' ? 1 : n);
  return {
    category: 'source',
    free: true,
    infer: (c) => Array.from({ length: count(c.inputs.length) }, (_, i) => input(c, i)),
    fold(c) {
      const vs = Array.from({ length: count(c.inputs.length) }, (_, i) => c.constInput(i));
      return vs.every((v) => v) ? vs.map((v) => v!) : undefined;
    },
    lower: (c) => Array.from({ length: count(c.inputs.length) }, (_, i) => c.value(i)),
  };
}

export const sourceOps: OpTable = {
  Const: {
    category: 'source',
    refuses: [{ variant: 'a constant of a dtype the IR lacks (left untyped, so its readers stay in TensorFlow too)', reason: 'unsupported-variant' }],
    infer(c) {
      const v = tensorFromProto(c.node.def);
      if (!v) throw new Unsupported('constant of an unsupported dtype');
      return [{ dtype: v.dtype, shape: v.shape }];
    },
    fold(c) {
      const v = tensorFromProto(c.node.def);
      return v ? [v] : undefined;
    },
  },
  Identity: identity('one'),
  StopGradient: identity('one'),
  PreventGradient: identity('one'),
  Snapshot: identity('one'),
  IdentityN: identity('all'),
};
