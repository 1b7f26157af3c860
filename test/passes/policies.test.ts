// Policies, size limits and exclusions, on the bundled fixtures.

import { globToRegExp } from '../../ir/support/glob.js';
import { analyzeModel } from '../../src/pipeline/analyze.js';
import type { ClusterOptions } from '../../passes/state.js';
import { fixture } from '../helpers.js';

const base: ClusterOptions = { policy: 'compute', minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };
const run = (name: string, o: Partial<ClusterOptions>) =>
  analyzeModel(fixture(name), [], { ...base, ...o }, { printAfter: [], verifyIr: true, print: () => undefined });

test('globs: * stops at /, ** crosses it', () => {
  expect(globToRegExp('conv1/*').test('conv1/relu')).toBe(true);
  expect(globToRegExp('conv1/*').test('conv1/w/read')).toBe(false);
  expect(globToRegExp('conv1/**').test('conv1/w/read')).toBe(true);
  expect(globToRegExp('*/relu').test('conv2/relu')).toBe(true);
  expect(globToRegExp('a.b').test('axb')).toBe(false);
});

test('--exclude-nodes keeps matching nodes in TensorFlow with reason excluded-node', async () => {
  const s = await run('conv_mlp', { excludeNodes: ['conv2/**'] });
  for (const c of s.clusters) for (const n of c.nodes) expect(n.startsWith('conv2/')).toBe(false);
  expect(s.marks.get('conv2/conv')).toMatchObject({ ok: false, reason: 'excluded-node' });
  expect(s.clusters.length).toBe(2);
});

test('--exclude-ops keeps every node of that op in TensorFlow', async () => {
  const s = await run('conv_mlp', { excludeOps: ['Relu'] });
  expect(s.marks.get('conv1/relu')).toMatchObject({ ok: false, reason: 'excluded-op' });
  expect(s.unmergedEdges).toContainEqual({ from: 'conv1/bias', to: 'conv1/relu', reason: 'excluded-op' });
});

test('--max-cluster-size splits and records size-limit; --min-cluster-size drops small clusters', async () => {
  const s = await run('conv_mlp', { maxClusterSize: 4 });
  for (const c of s.clusters) {
    const effective = c.nodes.filter((n) => s.marks.get(n)!.ok && (s.marks.get(n) as { effective: boolean }).effective).length;
    expect(effective).toBeLessThanOrEqual(4);
  }
  expect(s.unmergedEdges.some((e) => e.reason === 'size-limit')).toBe(true);
  const big = await run('two_io', { minClusterSize: 4 });
  expect([...big.dropped.values()].some((d) => d.reason === 'below-min-size')).toBe(true);
});

test('cluster names and order depend only on the graph', async () => {
  const a = await run('control_deps', {});
  const b = await run('control_deps', {});
  expect(a.clusters).toEqual(b.clusters);
  expect(a.clusters.map((c) => c.name)).toEqual(['cluster_0', 'cluster_1']);
});
