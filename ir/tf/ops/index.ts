// All op tables, one per category. An op name may appear in one table only.
// Lists derived from the tables' flags (the compute ops) are made here, once.

import type { OpTable, TfOpDef } from '../registry.js';
import { activationOps } from './activation.js';
import { comparisonOps } from './comparison.js';
import { convolutionOps } from './convolution.js';
import { elementwiseOps } from './elementwise.js';
import { gatherOps } from './gather.js';
import { imageOps } from './image.js';
import { matmulOps } from './matmul.js';
import { movementOps } from './movement.js';
import { normalizationOps } from './normalization.js';
import { poolingOps } from './pooling.js';
import { reductionOps } from './reduction.js';
import { shapeOps } from './shape.js';
import { sourceOps } from './source.js';
import { errors } from '../../support/diagnostics.js';

const TABLES: readonly OpTable[] = [
  sourceOps,
  convolutionOps,
  matmulOps,
  elementwiseOps,
  activationOps,
  normalizationOps,
  poolingOps,
  reductionOps,
  shapeOps,
  movementOps,
  gatherOps,
  comparisonOps,
  imageOps,
];

export const OPS: ReadonlyMap<string, TfOpDef> = (() => {
  const m = new Map<string, TfOpDef>();
  for (const t of TABLES) {
    for (const [name, def] of Object.entries(t)) {
      if (m.has(name)) throw errors.internal(`op ${name} is defined in two tables`);
      m.set(name, def);
    }
  }
  return m;
})();

/** The compute-intensive ops (the `compute` flag of their entry), in table order. */
export const COMPUTE_OPS: readonly string[] = [...OPS].filter(([, def]) => def.compute).map(([name]) => name);

/** COMPUTE_OPS as a phrase for messages: "Conv2D, ..., BatchMatMulV3 or Einsum". */
export const COMPUTE_OPS_TEXT = `${COMPUTE_OPS.slice(0, -1).join(', ')} or ${COMPUTE_OPS[COMPUTE_OPS.length - 1]}`;
