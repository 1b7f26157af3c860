// reduce. Relay reads an empty axis list as "every axis", the IR as "none":
// an empty reduction is a copy.

import type { LoweringTable } from './lowering.js';
import { arg, argType } from './lowering.js';
import { boolAttr, intList } from '../text.js';
import { normAxis } from '../../../ir/types.js';

export const reduction: LoweringTable<'reduce'> = {
  reduce: (op, args, _result, types) => {
    const x = arg(args, 0, 'reduce');
    const rank = argType(types, 0, 'reduce').shape.length;
    const axes = [...new Set(op.axes.map((a) => normAxis(a, rank)))].sort((a, b) => a - b);
    if (axes.length === 0) return `copy(${x})`;
    return `${op.fn}(${x}, axis=${intList(axes)}, keepdims=${boolAttr(op.keepDims)})`;
  },
};
