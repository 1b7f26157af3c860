// softmax and log_softmax over one axis.

import type { LoweringTable } from './lowering.js';
import { arg } from './lowering.js';

export const softmax: LoweringTable<'softmax'> = {
  softmax: (op, args) => `${op.log ? 'nn.log_softmax' : 'nn.softmax'}(${arg(args, 0, 'softmax')}, axis=${op.axis})`,
};
