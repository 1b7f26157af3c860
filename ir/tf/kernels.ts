// TensorFlow's CPU kernels by dtype (ir/tf/kernels.json, written by
// scripts/gen-kernel-table from the toolchain's TensorFlow): for each op of
// the coverage target and of the op tables, every type attribute with the
// dtypes a CPU kernel is registered for. What "every dtype variant" of an op
// means: docs/ops.md shows it next to the dtypes tf2tvm compiles.

import { readFileSync } from 'node:fs';
import { projectPath } from '../support/project.js';

/** Type attribute (T, Tparams, ...) -> dtypes with a CPU kernel; {} for an op without type attributes. */
export type KernelDtypes = Readonly<Record<string, readonly string[]>>;

interface KernelTable {
  readonly tensorflow: string;
  readonly dtypes: readonly string[];
  readonly ops: Readonly<Record<string, KernelDtypes | null>>;
}

const TABLE = JSON.parse(readFileSync(projectPath('ir', 'tf', 'kernels.json'), 'utf8')) as KernelTable;

/** The TensorFlow version the table was written with. */
export const KERNEL_TABLE_TF_VERSION = TABLE.tensorflow;

/** The dtypes the table records (others are left out). */
export const KERNEL_TABLE_DTYPES: readonly string[] = TABLE.dtypes;

/** An op's CPU kernel dtypes; null: no CPU kernel; undefined: the op is not in the table. */
export function cpuKernelDtypes(op: string): KernelDtypes | null | undefined {
  return Object.hasOwn(TABLE.ops, op) ? TABLE.ops[op]! : undefined;
}

/** The dtypes of an op's first type attribute (its data, by TensorFlow's convention), or [] when it has none. */
export function cpuDataDtypes(op: string): readonly string[] {
  const t = cpuKernelDtypes(op);
  const first = t ? Object.values(t)[0] : undefined;
  return first ?? [];
}
