// Softmax / LogSoftmax (over the last axis, as TensorFlow defines them).

import type { OpTable, TfOpDef } from '../registry.js';
import { floatInput } from './common.js';

function softmax(log: boolean): TfOpDef {
  return {
    category: 'normalization',
    infer: (c) => [floatInput(c, 0)],
    lower: (c) => [c.emit({ kind: 'softmax', args: [c.value(0)], axis: -1, log }, c.outputs[0]!)],
  };
}

export const normalizationOps: OpTable = {
  Softmax: softmax(false),
  LogSoftmax: softmax(true),
};
