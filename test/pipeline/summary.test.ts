// The one-line summary counts compute nodes: constants and graph inputs never
// join a cluster, so they are counted apart, not as nodes left out.

import { analyzeModel, countsJson, summarize, summaryLine } from '../../src/pipeline/analyze.js';
import { fixture } from '../helpers.js';

const quiet = { printAfter: [], verifyIr: false, print: () => undefined };
const options = { policy: 'compute' as const, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };

test('every compute node of conv_mlp in its one cluster reads as 100%, with constants and the input apart', async () => {
  const state = await analyzeModel(fixture('conv_mlp'), [], options, quiet);
  const s = summarize(state, new Set(state.clusters.map((c) => c.name)));
  expect(s.nodes).toBe(24);
  expect(countsJson(s)).toEqual({ compute_nodes: 16, constants: 7, inputs: 1 });
  expect(summaryLine(s, 1)).toBe('16 of 16 compute nodes (100.0%) in 1 cluster; 7 constants and 1 input apart');
});

test('a cluster not kept leaves its compute nodes out of the share', async () => {
  const state = await analyzeModel(fixture('two_io'), [], { ...options, policy: 'all' }, quiet);
  const names = state.clusters.map((c) => c.name);
  expect(names.length).toBeGreaterThan(1);
  const all = summarize(state, new Set(names));
  const one = summarize(state, new Set(names.slice(0, 1)), new Map([[names[1]!, { reason: 'build-failed' as const, message: 'x' }]]));
  const c = countsJson(all);
  expect(c.compute_nodes + c.constants + c.inputs).toBe(all.nodes);
  expect(countsJson(one)).toEqual(c); // a failed build does not make its nodes constants
  expect(one.clusteredNodes).toBeLessThan(all.clusteredNodes);
  expect(summaryLine(one, 1)).toMatch(new RegExp(`^${one.clusteredNodes} of ${c.compute_nodes} compute nodes \\(\\d+\\.\\d%\\) in 1 cluster; `));
});
