// softmax and log_softmax over one axis (opset 13+: the axis alone, not the
// flattened tail).

import { attr } from '../graph.js';
import type { OnnxLoweringTable } from './lowering.js';
import { arg } from './lowering.js';

export const softmax: OnnxLoweringTable<'softmax'> = {
  softmax: (op, args, _result, _types, g, out) =>
    void g.node(op.log ? 'LogSoftmax' : 'Softmax', [arg(args, 0, 'softmax')], [attr.int('axis', op.axis)], out),
};
