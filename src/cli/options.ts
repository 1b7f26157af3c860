// Option parsers shared by the commands, and the shape and clustering options
// that compile and inspect both take.

import { InvalidArgumentError, type Command } from 'commander';
import type { ClusterOptions, Policy } from '../../passes/state.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

function batchList(value: string): number[] {
  return value.split(',').map((v) => positiveInt(v.trim()));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function commaList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function policy(value: string): Policy {
  if (value !== 'compute' && value !== 'all') throw new InvalidArgumentError("expected 'compute' or 'all'");
  return value;
}

export function selectMode(value: string): 'all' | 'measured' {
  if (value !== 'all' && value !== 'measured') throw new InvalidArgumentError("expected 'all' or 'measured'");
  return value;
}

export interface ClusterFlags {
  policy: Policy;
  minClusterSize: number;
  maxClusterSize?: number;
  excludeOps?: string[];
  excludeNodes?: string[];
}

/** The shape and clustering flags `compile` and `inspect` share. */
export function addGraphOptions(cmd: Command): Command {
  return cmd
    .option('--shapes <spec>', 'input shapes, e.g. "x=1x224x224x3,y=1x10"; repeat for several shape sets', collect)
    .option('--batch <sizes>', 'shorthand for shape sets: dimension 0 of every input whose batch is unknown, e.g. 1,8,32', batchList)
    .option('--policy <name>', 'clustering policy: compute | all', policy, 'compute')
    .option('--min-cluster-size <n>', 'smallest cluster, in effective nodes', positiveInt, 1)
    .option('--max-cluster-size <n>', 'largest cluster, in effective nodes', positiveInt)
    .option('--exclude-ops <ops>', 'op types to keep in TensorFlow (comma-separated)', commaList)
    .option('--exclude-nodes <globs>', 'node names or globs to keep in TensorFlow (* stops at /, ** crosses it)', commaList);
}

export interface ModelFlags {
  signature?: string;
  tags?: string[];
}

/** --signature and --tags: which function of a SavedModel to read. */
export function addModelOptions(cmd: Command): Command {
  return cmd
    .option('--signature <name>', 'SavedModel: the signature to compile (default serving_default, or the only one)')
    .option('--tags <tags>', 'SavedModel: the tags of the MetaGraph to read (comma-separated, default serve)', commaList);
}

export function modelSelection(o: ModelFlags): { signature?: string; tags?: string[] } {
  return { ...(o.signature !== undefined ? { signature: o.signature } : {}), ...(o.tags !== undefined ? { tags: o.tags } : {}) };
}

export function clusterOptions(o: ClusterFlags): ClusterOptions {
  return {
    policy: o.policy,
    minClusterSize: o.minClusterSize,
    maxClusterSize: o.maxClusterSize ?? Number.MAX_SAFE_INTEGER,
    excludeOps: o.excludeOps ?? [],
    excludeNodes: o.excludeNodes ?? [],
  };
}
