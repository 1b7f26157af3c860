// Option parsers shared by the commands that cluster a graph.

import { InvalidArgumentError } from 'commander';
import type { ClusterOptions, Policy } from '../pipeline/state.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number');
  return n;
}

export function batchList(value: string): number[] {
  return value.split(',').map((v) => positiveInt(v.trim()));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function commaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
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

export function clusterOptions(o: ClusterFlags): ClusterOptions {
  return {
    policy: o.policy,
    minClusterSize: o.minClusterSize,
    maxClusterSize: o.maxClusterSize ?? Number.MAX_SAFE_INTEGER,
    excludeOps: o.excludeOps ?? [],
    excludeNodes: o.excludeNodes ?? [],
  };
}
