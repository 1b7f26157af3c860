// Nodes that only carry values: Const, Placeholder, Identity. Const and
// Placeholder never join a cluster (their values reach clusters as weights
// and inputs); Identity joins and costs nothing.

import { tensorFromProto } from '../tensor.js';
import { Unsupported, type OpTable } from '../registry.js';
import { input } from './common.js';

export const sourceOps: OpTable = {
  Const: {
    category: 'source',
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
  Identity: {
    category: 'source',
    infer: (c) => [input(c, 0)],
    fold(c) {
      const v = c.constInput(0);
      return v ? [v] : undefined;
    },
    lower: (c) => [c.value(0)],
  },
};
