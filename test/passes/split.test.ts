// split (selection below a cluster): a cluster cut at the middle of its
// compute ops into two clusters of their own, on the bundled fixtures.

import { analyzeModel } from '../../src/pipeline/analyze.js';
import { cutIndex, partNames, splitClusters } from '../../passes/split.js';
import { verifyFunction } from '../../ir/verify.js';
import type { ClusterOptions, EncapsulatedState } from '../../passes/state.js';
import { fixture } from '../helpers.js';

const options: ClusterOptions = { policy: 'compute', minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };
const analyze = (name: string): Promise<EncapsulatedState> =>
  analyzeModel(fixture(name), [], options, { printAfter: [], verifyIr: true, print: () => undefined });
const isCompute = (s: EncapsulatedState, n: string): boolean => {
  const m = s.marks.get(n);
  return Boolean(m?.ok && m.compute);
};
const tensor = (t: { node: string; index: number }): string => `${t.node}:${t.index}`;

test('conv_mlp: the cluster is cut before its middle compute op, and the parts together are the cluster', async () => {
  const state = await analyze('conv_mlp');
  const [whole] = state.clusters;
  const compute = whole!.nodes.filter((n) => isCompute(state, n));
  expect(compute.length).toBeGreaterThanOrEqual(3);
  expect(whole!.nodes[cutIndex(state, whole!)!]).toBe(compute[Math.floor(compute.length / 2)]);

  const { state: split, parts, kept } = splitClusters(state, ['cluster_0']);
  expect(kept.size).toBe(0);
  expect(parts.get('cluster_0')).toEqual(partNames('cluster_0'));
  expect(split.clusters.map((c) => c.name)).toEqual(['cluster_0_0', 'cluster_0_1']);
  const [a, b] = split.clusters;
  // Every member in exactly one part, each in topological order (the cluster's order).
  expect([...a!.nodes, ...b!.nodes].sort()).toEqual([...whole!.nodes].sort());
  for (const p of [a!, b!]) expect(p.nodes).toEqual(whole!.nodes.filter((n) => p.nodes.includes(n)));
  for (const p of [a!, b!]) expect(p.nodes.some((n) => isCompute(state, n))).toBe(true);
  // What the second part reads from the first is exactly what the first exports to it; no constant crosses.
  const fromA = b!.inputs.filter((t) => a!.nodes.includes(t.node)).map(tensor);
  expect(fromA.length).toBeGreaterThan(0);
  for (const t of fromA) expect(a!.outputs.map(tensor)).toContain(t);
  for (const t of a!.outputs) expect(state.types[0]!.get(t.node)!.values?.[t.index]).toBeUndefined();
  // The weight reads of the second part's convolution went with it.
  expect(b!.nodes).toContain('conv2/w/read');
  // The cluster's own outputs are still produced, by one part or the other.
  for (const t of whole!.outputs) expect([...a!.outputs, ...b!.outputs].map(tensor)).toContain(tensor(t));
  // One IR function per part and shape set, each valid; the whole cluster's is gone.
  expect(split.functions.map((f) => f.cluster).sort()).toEqual(['cluster_0_0', 'cluster_0_1']);
  for (const f of split.functions) expect(verifyFunction(f.fn)).toEqual([]);
});

test('a cluster with one compute op is not split; other clusters are left as they are', async () => {
  const state = await analyze('trap_diamond');
  expect(state.clusters.map((c) => c.name)).toEqual(['cluster_0', 'cluster_1']);
  const { state: after, parts, kept } = splitClusters(state, ['cluster_1']);
  expect(parts.size).toBe(0);
  expect(kept.get('cluster_1')).toMatch(/one compute op/);
  expect(after.clusters).toEqual(state.clusters);
  expect(after.functions).toEqual(state.functions);
});

test('parts split again are named after their parent; the untouched cluster keeps its place', async () => {
  const state = await analyze('two_io');
  const first = splitClusters(state, ['cluster_0', 'cluster_1']);
  // two_io's clusters have one compute op each: nothing to split.
  expect(first.parts.size).toBe(0);
  const conv = await analyze('conv_mlp');
  const once = splitClusters(conv, ['cluster_0']);
  const twice = splitClusters(once.state, ['cluster_0_1']);
  // conv_mlp has three compute ops (two convolutions, one matmul): 1 + 2, then 1 + 1.
  expect(twice.state.clusters.map((c) => c.name)).toEqual(['cluster_0_0', 'cluster_0_1_0', 'cluster_0_1_1']);
  expect(splitClusters(twice.state, ['cluster_0_0']).kept.get('cluster_0_0')).toMatch(/one compute op/);
});
